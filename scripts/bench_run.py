"""One measured geo_screen run (called by benchmark.py in a fresh process, so peak memory is this run's).

Prints one JSON object: wall times (pack load, screening steps, writes), peak RSS, rows/s and the
number of enterprises each spatial check flagged (compared with the peers by benchmark.py).

    python scripts/bench_run.py REGISTRY.csv --pack PACK_DIR --out OUT_DIR [--chunk-rows N] [--profile FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo_screen import results as R

#: progress messages that start each timed step -> step name
STEPS = (
    ("reading", "read + convert coordinates"),
    ("projecting", "project points + tree"),
    ("standards 3, 4, 5 and 9:", "spatial checks, side by side"),
    ("standard 3: land-use", "std 3 land use (raster)"),
    ("standard 3:", "std 3 red-line zones"),
    ("standard 4:", "std 4 water zones"),
    ("standard 9:", "std 9 riverside belt"),
    ("standard 5:", "std 5 sanitary distance"),
    ("standards 1, 2", "attributes, rules, dispositions"),
)


class TreeMemory:
    """Peak of the summed resident memory of this process and its children (the GeoPackage child process of a
    run that writes the workbook), sampled every 50 ms from /proc (Linux). ``ru_maxrss`` sees one process at a
    time."""

    def __init__(self):
        import threading

        self.peak_kb, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _rss_kb(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/status") as fh:
                return next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
        except OSError:
            return 0

    @staticmethod
    def _children(pid: int) -> list[int]:
        out = []
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as fh:
                    out += [int(c) for c in fh.read().split()]
        except OSError:
            pass
        return out

    def _run(self) -> None:
        while not self._stop.is_set():
            pids, total = [os.getpid()], 0
            while pids:
                pid = pids.pop()
                total += self._rss_kb(pid)
                pids += self._children(pid)
            self.peak_kb = max(self.peak_kb, total)
            self._stop.wait(0.05)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return round(self.peak_kb / 1024, 0)


def _step(message: str) -> str:
    return next((name for prefix, name in STEPS if message.startswith(prefix)), "other")


def _check_times(registry: Path, catalog) -> dict[str, float]:
    """Seconds of each spatial check run alone (one at a time), and of the four run together as screen() does.

    In a run the checks overlap in threads, so the step times above cannot say what each one costs.
    """
    from concurrent.futures import ThreadPoolExecutor

    from geo_screen.screening.screen import prepare_inputs
    from geo_screen.screening.spatial import _Screening, required_distances

    frame, catalog, rules, _ = prepare_inputs(registry, catalog, crs="gcj02")
    t0 = time.perf_counter()
    run = _Screening(frame, catalog, rules, None)
    times = {"project": time.perf_counter() - t0}
    required = required_distances(frame, catalog)[run.pos]
    checks = {
        "3": (run.zone_standard, "3"),
        "4": (run.zone_standard, "4"),
        "5": (run.sanitary, required),
        "9": (run.zone_standard, "9"),
    }
    for name, (func, arg) in checks.items():
        t0 = time.perf_counter()
        func(arg)
        times[name] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        list(pool.map(lambda task: task[0](task[1]), checks.values()))
    times["together"] = time.perf_counter() - t0
    return {k: round(v, 2) for k, v in times.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("registry", type=Path)
    parser.add_argument("--pack", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--chunk-rows", type=int)
    parser.add_argument("--profile", type=Path, help="write a pyinstrument text profile here")
    parser.add_argument(
        "--checks",
        action="store_true",
        help="after the run, time each spatial check alone and the four together (for the peers)",
    )
    parser.add_argument(
        "--excel",
        action="store_true",
        help="write results.xlsx with the other files, as the CLI does by default (a large run's GeoPackage "
        "is then written by a child process meanwhile), and after the run time the county packages "
        "(geo-screen export: shapefiles, checklists, public lists); peak memory then covers them too",
    )
    args = parser.parse_args(argv)
    from geo_screen.runtime import tune_arrow_memory

    arrow_pool = tune_arrow_memory()  # as the geo-screen command does
    tree = TreeMemory() if sys.platform.startswith("linux") else None
    t0 = time.perf_counter()
    from geo_screen.outputs.run import write_results
    from geo_screen.pack.catalog import load_catalog
    from geo_screen.pack.metric import metric_layers
    from geo_screen.screening.screen import screen

    catalog = load_catalog(args.pack / "catalog.yaml")
    metric = metric_layers(catalog)
    for layer_id in metric.geoms:  # the edge indexes are part of loading a pack, built once per process
        metric.edges(layer_id)
    t_pack = time.perf_counter()
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.01)
        profiler.start()
    steps: dict[str, float] = {}
    mark = [time.perf_counter(), "other"]

    def progress(message: str) -> None:
        now = time.perf_counter()
        steps[mark[1]] = steps.get(mark[1], 0.0) + now - mark[0]
        mark[0], mark[1] = now, _step(message)

    figures: dict = {"rows": None, "mode": "chunked" if args.chunk_rows else "in-memory", "arrow_pool": arrow_pool}
    if args.chunk_rows:
        from geo_screen.engines.chunked import screen_chunked

        screen_chunked(
            args.registry,
            catalog,
            out_dir=args.out,
            crs="gcj02",
            chunk_rows=args.chunk_rows,
            formats=("gpkg", "parquet"),
            progress=progress,
        )
        progress("done")
        t_screen = t_write = time.perf_counter()
        manifest = json.loads((args.out / R.MANIFEST_NAME).read_text("utf-8"))
        figures["rows"] = manifest["counts"]["rows"]
        figures["checks"] = None
    else:
        result = screen(args.registry, catalog, crs="gcj02", progress=progress)
        progress("done")
        t_screen = time.perf_counter()
        formats = ("gpkg", "parquet", "xlsx") if args.excel else ("gpkg", "parquet")
        write_results(result, args.out, formats=formats)
        t_write = time.perf_counter()
        steps["write results.gpkg + results.parquet" + (" + results.xlsx" if args.excel else "")] = t_write - t_screen
        figures["rows"] = len(result.enterprises)
        hits = result.hits
        kinds = {layer.id: layer.kind for layer in catalog.layers.values()}
        kind = hits["layer_id"].map(kinds)
        figures["checks"] = {
            "3": int(hits.loc[kind.isin(["ecological_redline", "marine_redline"]), R.INPUT_ROW].nunique()),
            "4": int(hits.loc[kind == "water_source_protection", R.INPUT_ROW].nunique()),
            "5": int(hits.loc[kind == "sensitive_targets", R.INPUT_ROW].nunique()),
            "9": int(hits.loc[kind == "riverside_belt", R.INPUT_ROW].nunique()),
        }
        figures["hits_rows"] = len(hits)
        if args.profile:
            result = None
    if profiler is not None:
        profiler.stop()
        args.profile.write_text(profiler.output_text(color=False, show_all=False), "utf-8")
    steps.pop("other", None)
    figures.update(
        {
            "pack_load_s": round(t_pack - t0, 2),
            "screen_s": round(t_screen - t_pack, 2),
            "write_s": round(t_write - t_screen, 2),
            "end_to_end_s": round(t_write - t_pack, 2),
            "end_to_end_with_pack_s": round(t_write - t0, 2),
            "steps_s": {k: round(v, 2) for k, v in steps.items()},
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
        }
    )
    if tree is not None:  # sampled before the optional extras below
        figures["peak_rss_tree_mb"] = tree.stop()
    figures["rows_per_s"] = round(figures["rows"] / max(figures["end_to_end_s"], 1e-9))
    if args.excel and not args.chunk_rows and result is not None:
        from geo_screen.outputs.citylists import city_outputs
        from geo_screen.outputs.packages import export_packages

        t0 = time.perf_counter()
        report = export_packages(result, args.out / "packages")  # geo-screen export: the packages, then the city lists
        city_outputs(result, args.out / "packages")
        figures["county_packages_s"] = round(time.perf_counter() - t0, 2)
        figures["county_packages_rows"] = int(sum(report.rows.values()))
        figures["peak_rss_with_excel_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0)
    if args.checks and not args.chunk_rows:
        result = None
        figures["check_times"] = _check_times(args.registry, catalog)
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
