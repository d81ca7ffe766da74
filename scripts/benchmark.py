"""Benchmark geo_screen against DuckDB spatial on equal work, in one invocation, on the heavy pack.

    python scripts/benchmark.py                          # 1,000,000 rows: DuckDB, core, full run, county export
    python scripts/benchmark.py --rows 200000 --no-export

Each job runs in a fresh process; its wall time and the peak resident memory of its process tree
(children included: the GeoPackage child of a full run) are sampled every 50 ms from the parent:

* ``duckdb``: DuckDB spatial reads the registry CSV, removes GCJ-02, runs standards 3, 4, 5, 9 and writes
  Parquet (``scripts/bench_duckdb.py``);
* ``core``: ``geo-screen screen REGISTRY --crs gcj02 --formats parquet`` (all ten standards, margins,
  evidence, ``results.parquet``);
* ``full``: ``geo-screen screen`` as a user runs it (``results.gpkg``, ``results.parquet``, ``results.xlsx``);
* ``export``: ``geo-screen export results.gpkg --by county --only flagged`` of the full run.

Both geo_screen runs load the layer pack, as DuckDB reads it. The hit counts of the four checks (DuckDB's
and those of the full run's evidence) are asserted equal. Prints a table with the ratios to DuckDB, the
date, the commit and the machine; ``--json`` writes the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

#: catalog layer kind -> the check its hits count for
KIND_CHECK = {
    "ecological_redline": "3",
    "marine_redline": "3",
    "water_source_protection": "4",
    "sensitive_targets": "5",
    "riverside_belt": "9",
}
#: the targets of the issue: job -> (at most this many times DuckDB's time, at most this many GB)
TARGETS = {"core": 1.0, "full": 3.0}
MEMORY_GB = 3.0


def measure(cmd: list[str]) -> dict:
    """Run ``cmd`` in a fresh process: its wall time, CPU time and peak RSS (process tree), last output line.

    The CPU seconds (user + system of the process and every child it waited for) say what a job costs when
    other work shares the machine and stretches wall times.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    started, cpu = time.perf_counter(), _children_cpu()
    with tempfile.TemporaryFile() as out:
        child, peak = psutil.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env), 0
        while child.poll() is None:
            try:
                tree = [child, *child.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        out.seek(0)
        lines = out.read().decode("utf-8", "replace").splitlines()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n" + "\n".join(lines[-20:]))
    return {
        "s": round(seconds, 2),
        "cpu_s": round(_children_cpu() - cpu, 2),
        "peak_gb": round(peak / 1e9, 2),
        "last_line": lines[-1] if lines else "",
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def geo_hits(gpkg: Path, catalog: Path) -> dict[str, int]:
    """Enterprises with evidence from each check's layers, in a run's hits layer."""
    import pyogrio
    import yaml

    kinds = {layer["id"]: layer["kind"] for layer in yaml.safe_load(catalog.read_text("utf-8"))["layers"]}
    hits = pyogrio.read_dataframe(gpkg, layer="hits", columns=["input_row", "layer_id"], read_geometry=False)
    check = hits["layer_id"].map(kinds).map(KIND_CHECK)
    return {c: int(hits.loc[check == c, "input_row"].nunique()) for c in ("3", "4", "5", "9")}


def _commit() -> str:
    done = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %cs"], capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
    )
    return done.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def _machine() -> str:
    mem = psutil.virtual_memory().total / 2**30
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, {platform.system()}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pack", type=Path, default=Path(tempfile.gettempdir()) / "geo_screen_bench")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--no-export", action="store_true", help="leave out the county export")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the runs' folders (for scripts/compare_runs.py)")
    args = parser.parse_args(argv)
    from make_heavy_pack import build_pack, write_registry

    pack, catalog = args.pack, args.pack / "catalog.yaml"
    if not catalog.exists():
        build_pack(pack)
    registry = pack / f"registry_{args.rows}.csv"
    if not registry.exists():
        write_registry(registry, args.rows)
    work = Path(tempfile.mkdtemp(prefix="geo_screen_bench_"))
    screen = [
        sys.executable,
        "-m",
        "geo_screen.cli",
        "screen",
        str(registry),
        "--layers",
        str(catalog),
        "--crs",
        "gcj02",
        "-q",
    ]
    jobs = {
        "duckdb": [
            sys.executable,
            str(HERE / "bench_duckdb.py"),
            str(registry),
            str(catalog),
            str(work / "duck.parquet"),
        ],
        "core": [*screen, "--out", str(work / "core"), "--formats", "parquet"],
        "full": [*screen, "--out", str(work / "full")],
    }
    if not args.no_export:
        export = ["export", str(work / "full" / "results.gpkg"), "--by", "county", "--only", "flagged"]
        jobs["export"] = [sys.executable, "-m", "geo_screen.cli", *export, "--out", str(work / "export")]
    load = os.getloadavg()[0]
    figures = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "commit": _commit(), "machine": _machine()}
    figures.update({"rows": args.rows, "load_average_start": round(load, 2), "jobs": {}})
    try:
        for name, cmd in jobs.items():
            print(f"running {name} ...", file=sys.stderr, flush=True)
            figures["jobs"][name] = measure(cmd)
        duck = json.loads(figures["jobs"]["duckdb"].pop("last_line"))
        figures["duckdb_steps_s"], figures["hits"] = duck["times"], duck["hits"]
        figures["geo_screen_hits"] = geo_hits(work / "full" / "results.gpkg", catalog)
    finally:
        if args.keep:
            print(f"the runs' folders are in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    figures["load_average_end"] = round(os.getloadavg()[0], 2)
    print(table(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2), "utf-8")
    ours, duck = figures["geo_screen_hits"], {k: int(v) for k, v in figures["hits"].items()}
    assert ours == duck, f"DuckDB finds {duck}, geo_screen {ours}"  # after the figures, which stand either way
    return 0


def table(figures: dict) -> str:
    """The figures as a Markdown table with the ratios to DuckDB and the targets met or not."""
    jobs, duck, duck_cpu = figures["jobs"], figures["jobs"]["duckdb"]["s"], figures["jobs"]["duckdb"]["cpu_s"]
    rows = [
        f"{figures['rows']:,} rows, heavy pack; {figures['date']}; commit {figures['commit']}; {figures['machine']}; "
        f"load average {figures['load_average_start']} → {figures['load_average_end']}",
        "",
        "| job | seconds | × DuckDB | CPU seconds | × DuckDB (CPU) | peak memory, process tree (GB) | target |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, job in jobs.items():
        ratio = job["s"] / duck
        if name in TARGETS:
            met = ratio <= TARGETS[name] and job["peak_gb"] <= MEMORY_GB
            target = f"≤ {TARGETS[name]:.1f}× and ≤ {MEMORY_GB:.0f} GB: {'met' if met else 'NOT met'}"
        elif name == "export":
            met = job["s"] <= jobs["full"]["s"] and job["peak_gb"] <= MEMORY_GB
            target = f"≤ the full run's time and ≤ {MEMORY_GB:.0f} GB: {'met' if met else 'NOT met'}"
        else:
            target = "the peer"
        cpu = f"{job['cpu_s']:.1f} | {job['cpu_s'] / duck_cpu:.2f}"
        rows.append(f"| {name} | {job['s']:.1f} | {ratio:.2f} | {cpu} | {job['peak_gb']:.2f} | {target} |")
    rows.append("")
    rows.append(
        "hits (enterprises per check), DuckDB / geo_screen: "
        + ", ".join(f"std {k}: {v:,} / {figures['geo_screen_hits'][k]:,}" for k, v in figures["hits"].items())
    )
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
