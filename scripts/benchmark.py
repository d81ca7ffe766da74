"""Benchmark geo_screen on the heavy pack: the scaling curve, the 1M end-to-end run and the peers.

    python scripts/benchmark.py                       # everything (about 15 minutes on 2 cores)
    python scripts/benchmark.py --sizes 10000 100000  # a quick curve, no peers
    python scripts/benchmark.py --plot docs/scaling.png --json docs/benchmarks.json

Each geo_screen run happens in a fresh process (scripts/bench_run.py) so its peak memory is its own.
Registries up to 1,000,000 rows are screened in memory, larger ones streamed with --chunk-rows.
The peers (scripts/bench_peers.py) run the four spatial checks on the 1,000,000-row registry and
their hit counts are asserted equal to geo_screen's. Figures are printed; nothing is timed in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

CHUNKED_FROM = 2_000_000


def _run(
    registry: Path,
    pack: Path,
    out: Path,
    *,
    chunk_rows: int | None = None,
    profile: Path | None = None,
    checks: bool = False,
) -> dict:
    cmd = [sys.executable, str(HERE / "bench_run.py"), str(registry), "--pack", str(pack), "--out", str(out)]
    if checks:
        cmd.append("--checks")
    if chunk_rows:
        cmd += ["--chunk-rows", str(chunk_rows)]
    if profile:
        cmd += ["--profile", str(profile)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _plot(curve: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [c["rows"] for c in curve]
    fig, ax = plt.subplots(1, 2, figsize=(8, 3.2))
    ax[0].loglog(rows, [c["end_to_end_s"] for c in curve], "o-", label="end to end (pack loaded)")
    ax[0].loglog(rows, [c["end_to_end_with_pack_s"] for c in curve], "s--", label="incl. pack load")
    ax[0].set(xlabel="enterprises", ylabel="wall time (s)", title="time")
    ax[0].legend(fontsize=7)
    ax[1].semilogx(rows, [c["peak_rss_mb"] / 1024 for c in curve], "o-", label="screening process")
    ax[1].semilogx(
        rows,
        [c.get("peak_rss_tree_mb", c["peak_rss_mb"]) / 1024 for c in curve],
        "s--",
        label="with child processes",
    )
    ax[1].legend(fontsize=7)
    ax[1].set(xlabel="enterprises", ylabel="peak RSS (GiB)", title="memory")
    for a in ax:
        a.grid(True, which="both", alpha=0.3)
    fig.suptitle("geo_screen on the heavy pack, 2 cores (10M streamed in chunks)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pack", type=Path, default=Path(tempfile.gettempdir()) / "geo_screen_bench")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000, 10_000_000])
    parser.add_argument("--chunk-rows", type=int, default=250_000)
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--profile", type=Path, help="pyinstrument profile of the 1M run, written here")
    parser.add_argument("--plot", type=Path, help="scaling plot (PNG)")
    parser.add_argument("--json", type=Path, help="all figures as JSON")
    args = parser.parse_args(argv)
    from make_heavy_pack import build_pack, write_registry

    pack = args.pack
    if not (pack / "catalog.yaml").exists():
        print(f"building the heavy pack in {pack}", flush=True)
        build_pack(pack)
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}", flush=True)
    figures: dict = {"cores": os.cpu_count(), "load_average_start": os.getloadavg()[0], "curve": []}
    out_root = Path(tempfile.mkdtemp(prefix="geo_screen_bench_out_"))
    for rows in args.sizes:
        registry = pack / f"registry_{rows}.csv"
        if not registry.exists():
            print(f"writing {registry.name}", flush=True)
            write_registry(registry, rows)
        chunked = rows >= CHUNKED_FROM
        profile = args.profile if rows == 1_000_000 and args.profile else None
        result = _run(
            registry,
            pack,
            out_root / str(rows),
            chunk_rows=args.chunk_rows if chunked else None,
            profile=profile,
            checks=rows == 1_000_000 and not chunked and not args.no_peers,
        )
        figures["curve"].append(result)
        shutil.rmtree(out_root / str(rows), ignore_errors=True)  # a 10M run writes about 13 GB
        print(
            f"{rows:>11,} rows  {result['mode']:>9}  end to end {result['end_to_end_s']:7.2f} s "
            f"(+ pack load {result['pack_load_s']:.2f} s)  peak {result['peak_rss_mb'] / 1024:5.2f} GiB "
            f"(with child processes {result.get('peak_rss_tree_mb', result['peak_rss_mb']) / 1024:5.2f} GiB)  "
            f"{result['rows_per_s']:>9,} rows/s",
            flush=True,
        )
        if rows == 1_000_000:
            for step, seconds in result["steps_s"].items():
                print(f"      {step:<34} {seconds:7.2f} s")
    one_m = next(
        (c for c in figures["curve"] if c["rows"] and c["mode"] == "in-memory" and c["rows"] >= 1_000_000), None
    )
    if one_m and not args.no_peers:
        import bench_peers

        work = Path(tempfile.mkdtemp(prefix="geo_screen_peers_"))
        inputs = bench_peers.export_inputs(pack / "registry_1000000.csv", pack, work)
        steps, alone = one_m["steps_s"], one_m["check_times"]
        ours = {
            "times": {
                "load": steps["read + convert coordinates"] + steps["project points + tree"],
                **{c: alone[c] for c in ("3", "4", "5", "9")},
                "together": alone["together"],
            },
            "hits": one_m["checks"],
        }
        peers = {"duckdb": bench_peers.duckdb_checks(inputs)}
        postgis = bench_peers.postgis_checks(inputs)
        if postgis is not None:
            peers["postgis"] = postgis
        for name, result in peers.items():
            assert result["hits"] == ours["hits"], f"{name} finds {result['hits']}, geo_screen {ours['hits']}"
        table = bench_peers.peer_table(ours, peers)
        print("\nper check, 1,000,000 enterprises (seconds; ratio > 1: the peer is slower)")
        print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
        print(
            f"\ngeo_screen end to end (CSV in, all standards, results.gpkg + GeoParquet out): "
            f"{one_m['end_to_end_s']:.2f} s"
        )
        figures["peers"] = {"ours": ours, **peers, "table": table.to_dict(orient="records")}
        shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(out_root, ignore_errors=True)
    figures["load_average_end"] = os.getloadavg()[0]
    if args.plot:
        _plot([c for c in figures["curve"] if c["rows"]], args.plot)
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2), "utf-8")
    return 0


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"benchmark finished in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    sys.exit(code)
