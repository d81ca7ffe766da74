"""The ledger commands: ``verify`` (a returned checklist into the ledger), ``ledger log`` / ``ledger check``,
``lists`` (the published lists from the ledger's decisions) and ``notices`` (告知书 / 限期整改通知书 from them)."""

from __future__ import annotations

from pathlib import Path

from geo_screen.cli.options import EXIT_OK, EXIT_PROBLEMS, LEDGER_HELP
from geo_screen.vocabulary import NOTICE_KINDS


def add_commands(sub) -> None:
    """Add this module's subcommands to the ``geo-screen`` parser's ``sub``."""
    p = sub.add_parser(
        "verify",
        help="record a returned 现场核查表.xlsx, or a package .gpkg edited in QGIS, in the ledger (all rows or none)",
    )
    p.add_argument(
        "filled",
        type=Path,
        help="the checklist (.xlsx) or a package GeoPackage (.gpkg) with 核查结论, 核查人, 日期 (and decisions) filled",
    )
    p.add_argument("--ledger", required=True, help=LEDGER_HELP)
    p.add_argument("--by", required=True, metavar="NAME", help="who records the import (unit or person)")
    p.add_argument(
        "--run",
        type=Path,
        metavar="RUN_DIR",
        help="the screening run it was made from: every code is checked against its enterprises (without it, the "
        "checklist's 筛查批次 is recorded and the codes are not checked)",
    )
    p.add_argument(
        "--corrections",
        action="store_true",
        help="rows that change what an earlier copy of this file recorded become corrections naming those entries",
    )

    p = sub.add_parser(
        "notices", help="one .docx notice per enterprise with a decision in the ledger, zipped per county"
    )
    p.add_argument("results", type=Path, help="the screening run (results folder or results.gpkg) stating the facts")
    p.add_argument("--ledger", required=True, help=LEDGER_HELP)
    p.add_argument(
        "--kind",
        required=True,
        choices=NOTICE_KINDS,
        help="告知书: every latest decision but 无; 限期整改通知书: latest decision 限期整改, with its 整改期限",
    )
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="where <county>_<kind>.zip files go")
    p.add_argument("--templates", type=Path, metavar="DIR", help="a county's templates (<kind>.docx) overriding ours")
    p.add_argument(
        "--config", type=Path, metavar="NOTICE.yaml", help="contact line, issuing unit, time limits (see notices.yaml)"
    )
    p.add_argument("--rules", type=Path, help="rules file for the standards' titles (default: the run's)")

    p = sub.add_parser("ledger", help="the verification ledger: one enterprise's history, or check the hash chain")
    ledger_sub = p.add_subparsers(dest="ledger_command", required=True, metavar="ACTION")
    log = ledger_sub.add_parser("log", help="every entry recorded for one enterprise, oldest first")
    log.add_argument("enterprise_id", help="统一社会信用代码 (USCC)")
    log.add_argument("--ledger", required=True, help=LEDGER_HELP)
    chain = ledger_sub.add_parser("check", help="prove no entry was edited or removed (exit 1 when the chain breaks)")
    chain.add_argument("--ledger", required=True, help=LEDGER_HELP)

    p = sub.add_parser(
        "lists",
        help="write the published lists (三（四）, 附件3第17-18项) from the ledger's decisions, never from proposals",
    )
    p.add_argument("results", type=Path, metavar="RESULTS_DIR", help="the screening run naming the enterprises")
    p.add_argument("--ledger", required=True, help=LEDGER_HELP)
    p.add_argument(
        "--config",
        required=True,
        type=Path,
        metavar="PUBLICATION.yaml",
        help="publishing unit, year, period, objection channel and time limit, contact (see "
        "geo_screen/ledger/publication_example.yaml)",
    )
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder for one xlsx per list")


def run(args) -> int:
    """Run the subcommand ``args.command`` names."""
    if args.command == "ledger":
        return _run_ledger(args)
    if args.command == "lists":
        return _run_lists(args)
    if args.command == "notices":
        from geo_screen.ledger.notices import write_notices
        from geo_screen.ledger.store import open_ledger

        with open_ledger(args.ledger) as ledger:
            done = write_notices(
                args.results,
                ledger,
                kind=args.kind,
                out_dir=args.out,
                templates=args.templates,
                config=args.config,
                rules=args.rules,
            )
        print(done.text())
        return EXIT_OK
    if args.command == "verify":
        from geo_screen.ledger.store import open_ledger
        from geo_screen.ledger.verify import import_checklist

        with open_ledger(args.ledger) as ledger:
            done = import_checklist(args.filled, ledger, by=args.by, run=args.run, corrections=args.corrections)
        print(done.text())
        return EXIT_OK
    raise AssertionError(args.command)  # argparse enforces the choices


def _run_ledger(args) -> int:
    from geo_screen.ledger.history import history_text
    from geo_screen.ledger.store import open_ledger

    with open_ledger(args.ledger) as ledger:
        if args.ledger_command == "log":
            print(history_text(args.enterprise_id, ledger.entries(args.enterprise_id)))
            return EXIT_OK
        result = ledger.check()
    print(result.text())
    return EXIT_OK if result.ok else EXIT_PROBLEMS


def _run_lists(args) -> int:
    from geo_screen.ledger.lists import load_publication, write_lists
    from geo_screen.ledger.store import open_ledger

    publication = load_publication(args.config)
    with open_ledger(args.ledger) as ledger:
        written = write_lists(args.results, ledger, publication=publication, out_dir=args.out)
    for path, rows in written.items():
        print(f"{path}: {rows} enterprises")
    return EXIT_OK
