"""The ``diff`` command: two screening runs compared enterprise by enterprise, written as changes.xlsx/.gpkg."""

from __future__ import annotations

from pathlib import Path

from geo_screen.cli.options import EXIT_OK


def add_commands(sub) -> None:
    """Add this module's subcommands to the ``geo-screen`` parser's ``sub``."""
    p = sub.add_parser(
        "diff",
        help="compare two screening runs by enterprise_id: new, gone, newly flagged, cleared, disposition or "
        "standards changed, per county (changes.xlsx, changes.gpkg)",
    )
    p.add_argument("old", type=Path, metavar="OLD_DIR", help="the earlier run's results folder")
    p.add_argument("new", type=Path, metavar="NEW_DIR", help="the later run's results folder")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder for changes.xlsx and changes.gpkg")


def run(args) -> int:
    """Run the subcommand ``args.command`` names."""
    from geo_screen.outputs.changes import diff_runs, write_changes

    changes = diff_runs(args.old, args.new)
    written = write_changes(changes, args.out)
    print(changes.summary())
    print("written: " + ", ".join(str(p) for p in written))
    return EXIT_OK
