"""Time the planner's map: first paint and filter change, with the demo and a 100,000-enterprise registry.

    .venv/bin/python scripts/bench_map.py [--rows 100000] [--out test-artifacts/bench_map.json]

For each dataset: screening, building the folium map and the size of what st_folium sends, then in
Debian's Chromium (Playwright, offline): from navigation to the map holding every marker (first
paint), and from picking a disposition in the sidebar to the map redrawn with the filtered markers.
The 100k registry is the demo's rows repeated with jittered locations and fresh, valid USCCs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import geo_screen as gs
from geo_screen import results as R
from geo_screen.app import maplayers, mapview
from geo_screen.app import state as explore
from geo_screen.inputs.identifiers import uscc_check_char

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def big_registry(rows: int, out: Path) -> Path:
    """The demo registry repeated to ``rows`` rows, locations jittered ~300 m, USCCs made unique and valid."""
    demo = pd.read_csv(gs.demo_paths()["registry"], encoding="gbk", dtype=str)
    reps = -(-rows // len(demo))
    big = pd.concat([demo] * reps, ignore_index=True).iloc[:rows].copy()
    rng = np.random.default_rng(0)
    for col in ("经度", "纬度"):
        values = pd.to_numeric(big[col], errors="coerce")
        big[col] = (values + rng.normal(0, 0.003, len(big))).round(6).astype("string")
    division = big["统一社会信用代码"].str[2:8].fillna("320612")
    body = [f"91{d}{i:09d}" for i, d in enumerate(division)]
    big["统一社会信用代码"] = [b + uscc_check_char(b) for b in body]
    big["企业名称"] = big["企业名称"] + "（" + (big.index // len(demo) + 1).astype(str) + "）"
    path = out / f"registry_{rows}.csv"
    big.to_csv(path, index=False, encoding="utf-8")
    return path


def python_side(result: R.ScreenResult, catalog) -> dict:
    from streamlit_folium import _get_map_string

    run = explore.prepare(result)
    layers = maplayers.display_layers(catalog)
    t = time.perf_counter()
    fmap = mapview.build_map(result.enterprises, keys=run.keys, layers=layers)
    build_s = time.perf_counter() - t
    fmap.get_root().render()
    t = time.perf_counter()
    script = _get_map_string(fmap)
    return {
        "build_map_s": round(build_s, 3),
        "st_folium_script_s": round(time.perf_counter() - t, 3),
        "script_mb": round(len(script.encode("utf-8")) / 1e6, 2),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def browser_side(results_dir: Path | None, result: R.ScreenResult) -> dict:
    from playwright.sync_api import sync_playwright

    port = free_port()
    extra = ["--", "--results", str(results_dir)] if results_dir else []
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit"
    proc = subprocess.Popen(
        [
            streamlit,
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--server.fileWatcherType",
            "none",
            *extra,
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    ents = result.enterprises
    located = int((~ents.geometry.isna()).sum())
    close = ents[(ents[R.DISPOSITION] == "close") & ~ents.geometry.isna()]
    out = {}
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).close()
                break
            except OSError:
                time.sleep(0.25)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.route("**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url else r.abort())
            for label in ("cold", "warm"):  # cold: the server screens/reads and caches; warm: a second visit
                t = time.perf_counter()
                page.goto(url, wait_until="domcontentloaded")
                frame = wait_markers(page, located)
                out[f"first_paint_{label}_s"] = round(time.perf_counter() - t, 2)
            box = page.locator('[data-testid="stMultiSelect"]', has_text="处置方式")
            box.click()
            page.keyboard.type("关闭取缔")
            t = time.perf_counter()
            page.keyboard.press("Enter")
            wait_markers(page, len(close))
            out["filter_change_s"] = round(time.perf_counter() - t, 2)
            page.keyboard.press("Escape")
            page.locator('[data-testid="stMultiSelect"]', has_text="处置方式").click()
            t = time.perf_counter()
            page.keyboard.press("Backspace")  # removes the tag: every disposition again
            frame = wait_markers(page, located)
            out["filter_clear_s"] = round(time.perf_counter() - t, 2)
            out["clustered"] = bool(frame.evaluate("window.gsEnterprises.gsClustered"))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return out


def wait_markers(page, n: int, timeout_s: float = 300):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        for frame in page.frames:
            try:
                done = frame.evaluate(
                    "(n) => { const g = window.gsEnterprises; return !!g && g.gsCount === n"
                    " && g.gsLoaded && !!window.map && window.map.hasLayer(g); }",
                    n,
                )
            except Exception:
                continue
            if done:
                return frame
        time.sleep(0.05)
    raise TimeoutError(f"map never showed {n} markers")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=ROOT / "test-artifacts" / "bench_map.json")
    args = parser.parse_args()
    paths = gs.demo_paths()
    catalog = gs.load_catalog(paths["catalog"])
    report = {}
    with tempfile.TemporaryDirectory(prefix="bench_map-") as tmp:
        tmp = Path(tmp)
        for name, registry, crs in (("demo", paths["registry"], paths["crs"]), (f"{args.rows}", None, "gcj02")):
            registry = registry or big_registry(args.rows, tmp)
            t = time.perf_counter()
            result = gs.screen(registry, catalog, crs=crs)
            entry = {"rows": len(result.enterprises), "screen_s": round(time.perf_counter() - t, 2)}
            entry.update(python_side(result, catalog))
            results_dir = None
            if name != "demo":
                results_dir = tmp / "run"
                gs.write_results(result, results_dir, formats=("gpkg",))
            entry.update(browser_side(results_dir, result))
            report[name] = entry
            print(name, json.dumps(entry, ensure_ascii=False), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")


if __name__ == "__main__":
    main()
