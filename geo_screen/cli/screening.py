"""The screening commands: ``screen``, ``demo``, ``grade``, ``layers check`` and ``export``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo_screen.cli.options import EXIT_OK, EXIT_PROBLEMS, LEDGER_HELP
from geo_screen.cli.progress import StepBars, StepLog
from geo_screen.errors import ConfigError


def add_commands(sub) -> None:
    """Add this module's subcommands to the ``geo-screen`` parser's ``sub``."""

    def screening_options(p: argparse.ArgumentParser, *, out_default: Path | None = None) -> None:
        p.add_argument(
            "--out",
            required=out_default is None,
            default=out_default,
            type=Path,
            help="folder for results.gpkg, results.parquet, results.xlsx and run.json",
        )
        p.add_argument("--rules", type=Path, help="rules YAML (default: the shipped 通政办发〔2017〕179号 rules)")
        p.add_argument("--out-crs", default=None, help="CRS of the written geometries (default EPSG:4490, CGCS2000)")
        p.add_argument(
            "--formats",
            help="comma-separated files to write: gpkg (results.gpkg), parquet (results.parquet), xlsx (results.xlsx); "
            "default gpkg,parquet,xlsx",
        )
        p.add_argument("--no-excel", action="store_true", help="short for --formats gpkg,parquet")
        p.add_argument("--engine", choices=("local", "dask"), default="local", help="run in this process or on Dask")
        p.add_argument("--scheduler", help="address of a running dask scheduler (with --engine dask)")
        p.add_argument("--partitions", type=int, help="registry partitions (with --engine dask)")
        p.add_argument(
            "--chunk-rows",
            type=int,
            metavar="N",
            help="stream a CSV registry N rows at a time (registries larger than memory; same results)",
        )
        p.add_argument(
            "--ledger",
            help=LEDGER_HELP
            + ": show and apply what the county found and decided (verification, decisions, deadlines)",
        )
        p.add_argument("-q", "--quiet", action="store_true", help="no progress messages")

    p = sub.add_parser("screen", help="screen a registry against a layer pack")
    p.add_argument("registry", type=Path, help="CSV, XLSX, GeoPackage, Shapefile (.shp or .zip) or GeoJSON")
    p.add_argument("--layers", required=True, type=Path, metavar="CATALOG.yaml", help="the layer pack's catalog")
    p.add_argument(
        "--crs", default="EPSG:4326", help="coordinates of the registry: EPSG code, gcj02 or bd09 (default EPSG:4326)"
    )
    p.add_argument("--sheet", help="the workbook sheet holding the registry (default: the first)")
    p.add_argument("--layer", help="the GeoPackage layer or zipped shapefile holding the registry")
    p.add_argument(
        "--grades",
        type=Path,
        metavar="GRADES.csv",
        help="computed performance grades (geo-screen grade): fill the registry's empty grades",
    )
    screening_options(p)

    p = sub.add_parser("grade", help="compute A/B/C/D performance grades (亩均论英雄) from an indicator table")
    p.add_argument("indicators", type=Path, help="CSV or XLSX: USCC, county, land (mu), tax, sales, energy, ...")
    p.add_argument("--method", type=Path, help="evaluation method YAML (default: the shipped Jiangsu county method)")
    p.add_argument("--out", required=True, type=Path, help="folder for grades.xlsx and grades.csv")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress messages")

    p = sub.add_parser("demo", help="screen the bundled Nantong demo registry against layers/nantong")
    screening_options(p, out_default=Path("out/demo"))

    p = sub.add_parser("layers", help="inspect a layer pack")
    layers_sub = p.add_subparsers(dest="layers_command", required=True, metavar="ACTION")
    check = layers_sub.add_parser("check", help="load every layer and report counts, CRS, bounds and problems")
    check.add_argument("catalog", type=Path)

    p = sub.add_parser("export", help="county packages, checklists and public lists from results.gpkg")
    p.add_argument("results", type=Path, help="results.gpkg of a screening run (or its folder)")
    p.add_argument("--by", choices=("county", "industry", "standard"), default="county")
    p.add_argument("--only", choices=("flagged", "all"), default="flagged")
    p.add_argument("--format", default="shp,xlsx", help="comma-separated: shp, gpkg, xlsx (default shp,xlsx)")
    p.add_argument("--encoding", default="UTF-8", help="shapefile text encoding: UTF-8 (default) or GBK")
    p.add_argument("--out", required=True, type=Path)


def run(args) -> int:
    """Run the subcommand ``args.command`` names."""
    _check_arguments(args)
    if args.command == "screen":
        return _run_screen(args, args.registry, args.layers, args.crs, grades=args.grades)
    if args.command == "grade":
        _run_grade(args, args.indicators, method=args.method)
        return EXIT_OK
    if args.command == "demo":
        from geo_screen.pack.demo import demo_paths

        demo = demo_paths()
        grades = _run_grade(args, demo["indicators"])
        return _run_screen(args, demo["registry"], demo["catalog"], demo["crs"], grades=grades)
    if args.command == "layers":
        from geo_screen.pack.catalog import load_catalog

        catalog = load_catalog(args.catalog)
        print(catalog.check_text())
        return EXIT_PROBLEMS if catalog.problems else EXIT_OK
    if args.command == "export":
        from geo_screen.outputs.packagerows import export_rows
        from geo_screen.outputs.packages import export_packages

        log = StepLog()
        result = _results_for_export(args.results, export_rows)
        formats = tuple(f.strip().lower() for f in args.format.split(",") if f.strip())
        report = export_packages(
            result,
            args.out,
            by=args.by,
            only=args.only,
            formats=formats,
            encoding=args.encoding,
            city=True,
            progress=lambda done, total, value: log(f"[{done}/{total}] {value}"),
        )
        print(report.summary())
        print("city outputs: " + ", ".join(p.name for p in report.city))
        return EXIT_OK
    raise AssertionError(args.command)  # argparse enforces the choices


def _results_for_export(path: Path, export_rows):
    """The run at ``path`` as the export reads it, or one message when the file is not a readable results
    GeoPackage."""
    from pyogrio.errors import DataLayerError, DataSourceError

    from geo_screen import results as R
    from geo_screen.errors import InputDataError

    try:
        return export_rows(path)
    except (DataSourceError, DataLayerError, KeyError) as err:
        raise InputDataError(
            f"{path}: not a complete screening run's {R.GPKG_NAME} (it needs the layers {R.ENTERPRISES_LAYER!r} and "
            f"{R.HITS_LAYER!r}; {err}); screen the registry again into a new --out folder and export that"
        ) from err


def _print_summary(enterprises) -> None:
    import pandas as pd

    from geo_screen import results as R
    from geo_screen.vocabulary import DISPOSITION_ZH, MISSING_ZH

    table = pd.crosstab(
        enterprises[R.COUNTY].fillna(MISSING_ZH), enterprises[R.DISPOSITION_ZH], margins=True, margins_name="合计"
    )
    # most severe first; a rule's own words for a disposition (责令拆除或者关闭) stand beside the code's label
    rank = {code: i for i, code in enumerate(DISPOSITION_ZH)}
    pairs = enterprises[[R.DISPOSITION, R.DISPOSITION_ZH]].drop_duplicates().dropna().to_numpy().tolist()
    order = [zh for code, zh in sorted(pairs, key=lambda p: (rank.get(p[0], len(rank)), p[1]))] + ["合计"]
    print("\n处置 × 县区 (disposition by county)")
    print(table[order].to_string())
    status = enterprises[R.ROW_STATUS].value_counts()
    print("\n行状态 (row status): " + ", ".join(f"{k} {v:,}" for k, v in status.items()))


def _print_grades(grades) -> None:
    print("\n绩效评价分类 × 县区 (performance classes by county)")
    print(grades.counts().to_string())
    for warning in grades.warnings:
        print(f"geo-screen: warning: {warning}", file=sys.stderr)


def _run_grade(args, indicators: Path, *, method: Path | None = None):
    from geo_screen.outputs.grades import grade

    log = StepLog(quiet=args.quiet)
    log(f"grading {indicators.name}")
    grades = grade(indicators, method=method, out_dir=args.out)
    log(f"done: grades.xlsx, grades.csv in {args.out}")
    _print_grades(grades)
    return grades


def _warn_grade_disagreements(enterprises) -> None:
    from geo_screen import results as R

    disagree = enterprises[R.ISSUES].fillna("").str.contains(R.GRADE_DISAGREES, regex=False)
    if disagree.any():
        print(
            f"geo-screen: warning: {int(disagree.sum()):,} enterprises have a registry grade that differs from the "
            f"computed one; the registry's grade is used (issues: {R.GRADE_DISAGREES}:registry=X,computed=Y)",
            file=sys.stderr,
        )


def _run_screen(args, registry: Path, catalog: Path, crs: str, *, grades=None) -> int:
    from geo_screen.ledger.rescreen import screen
    from geo_screen.outputs.run import write_results

    # bars on a terminal for the in-memory engine (the others draw one bar over all rows); plain lines in logs
    bars = not args.chunk_rows and args.engine != "dask" and sys.stderr.isatty()
    log = StepBars(quiet=args.quiet) if bars else StepLog(quiet=args.quiet)
    if grades is not None and (args.chunk_rows or args.engine == "dask"):
        raise ConfigError(
            "computed grades are joined by the in-memory engine only; leave out --chunk-rows/--engine dask, or "
            "join the grades to the registry first (grades.csv has one row per enterprise_id)"
        )
    if args.ledger and (args.chunk_rows or args.engine == "dask"):
        raise ConfigError(
            "the ledger's findings are applied by the in-memory engine only; leave out --chunk-rows/--engine dask "
            "to screen with --ledger"
        )
    if args.chunk_rows:
        if args.engine == "dask":
            raise ConfigError(
                "--chunk-rows streams the registry in this process; leave out --engine dask, or "
                "--chunk-rows (Dask partitions the registry itself: use --partitions)"
            )
        import json

        from geo_screen.engines.chunked import screen_chunked

        written = screen_chunked(
            registry,
            catalog,
            out_dir=args.out,
            rules=args.rules,
            crs=crs,
            chunk_rows=args.chunk_rows,
            out_crs=args.out_crs,
            formats=args.formats,
            progress=log,
            bar=not args.quiet,
        )
        log("done: " + ", ".join(p.name for p in written))
        counts = json.loads((args.out / "run.json").read_text("utf-8"))["counts"]
        print("\n处置 (disposition): " + ", ".join(f"{k} {v:,}" for k, v in counts["disposition"].items()))
        print("行状态 (row status): " + ", ".join(f"{k} {v:,}" for k, v in counts["row_status"].items()))
        return EXIT_OK
    if args.engine == "dask":
        from geo_screen.engines.cluster import screen_dask

        result = screen_dask(
            registry,
            catalog,
            rules=args.rules,
            crs=crs,
            scheduler=args.scheduler,
            partitions=args.partitions,
            progress=log,
            bar=not args.quiet,
        )
    else:
        if getattr(args, "sheet", None) is not None or getattr(args, "layer", None) is not None:
            from geo_screen.inputs.registry import read_registry

            log(f"reading {Path(registry).name}")
            registry = read_registry(registry, crs=crs, sheet=args.sheet, layer=args.layer)
        result = screen(registry, catalog, rules=args.rules, crs=crs, grades=grades, ledger=args.ledger, progress=log)
    log(f"writing results to {args.out}")
    written = write_results(result, args.out, out_crs=args.out_crs, formats=args.formats)
    log.finish("done: " + ", ".join(p.name for p in written))
    _print_summary(result.enterprises)
    _warn_grade_disagreements(result.enterprises)
    for warning in result.manifest.get("input", {}).get("warnings", []):
        print(f"geo-screen: warning: {warning}", file=sys.stderr)
    return EXIT_OK


def _check_arguments(args) -> None:
    """Refuse bad option values before anything is read (a wrong --out-crs must not cost a whole screening)."""
    from geo_screen.inputs.crs import output_crs, parse_crs

    for option in ("chunk_rows", "partitions"):
        value = getattr(args, option, None)
        if value is not None and value < 1:
            flag = "--" + option.replace("_", "-")
            raise ConfigError(f"{flag} {value}: must be a whole number of at least 1; leave it out to use the default")
    picks = [f for f in ("sheet", "layer") if getattr(args, f, None) is not None]
    if picks and (args.chunk_rows or args.engine == "dask"):
        raise ConfigError(
            f"--{picks[0]} picks part of a workbook or GeoPackage, which the in-memory engine reads; leave out "
            "--chunk-rows/--engine dask (they read CSV registries), or export that part as CSV"
        )
    if getattr(args, "out_crs", None) is not None:
        output_crs(args.out_crs, where="out_crs")
    if hasattr(args, "formats"):  # screen, demo
        from geo_screen.outputs.run import run_formats

        if args.no_excel and args.formats is not None:
            raise ConfigError("--no-excel is short for --formats gpkg,parquet; give one of them, not both")
        asked = "gpkg,parquet" if args.no_excel else args.formats or "gpkg,parquet,xlsx"
        args.formats = run_formats(asked.split(","), where="--formats")
    if getattr(args, "crs", None) is not None:
        parse_crs(args.crs, where="crs")
