"""Retake the README's screenshots of the planner's map: the first view, a card, the print layout, the runs list, and
two runs compared.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--chromium /usr/bin/chromium]

Starts the app on the bundled demo (a runs folder of its own holding the demo, a smaller uploaded run and the demo
"a year later": some enterprises gone, some newly flagged),
drives Debian's Chromium through Playwright at 1400×1000 with the default basemap (nothing leaves the machine),
and renders the print layout with geo_screen.app.printout. Each PNG is reduced to a palette of at most 256
colours so that it stays under 300 KB.
"""

from __future__ import annotations

import argparse
import io
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import geo_screen as gs
from geo_screen import results as R
from geo_screen.app import maplayers, printout, runs
from geo_screen.app import state as ex

VIEWPORT = {"width": 1400, "height": 1000}
MAX_BYTES = 300_000
NAMES = ("first_view.png", "card.png", "print_layout.png", "runs.png", "changes.png")


def small_png(data: bytes, path: Path, *, width: int | None = None) -> None:
    """Write ``data`` (a PNG) to ``path`` as a palette PNG under :data:`MAX_BYTES`, scaled to ``width`` if given."""
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    if width and image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
    for colours in (256, 128, 64, 32):
        buf = io.BytesIO()
        image.quantize(colours, method=Image.Quantize.MEDIANCUT).save(buf, format="PNG", optimize=True)
        if buf.tell() <= MAX_BYTES:
            break
    path.write_bytes(buf.getvalue())
    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {buf.tell() / 1000:.0f} KB")


def a_year_later(result: gs.ScreenResult) -> gs.ScreenResult:
    """The demo screened again a year later (illustrative): 40 enterprises gone, 60 newly flagged (standard 3,
    依法处置), 30 of those to relocate now closed."""
    ents = result.enterprises.drop(index=result.enterprises.index[::115][:40]).copy()
    clear = ents.index[(ents[R.DISPOSITION] == "none").to_numpy()][::20][:60]
    ents.loc[clear, [R.STANDARDS_HIT, R.DISPOSITION]] = ["3", "per_law"]
    moving = ents.index[(ents[R.DISPOSITION] == "relocate").to_numpy()][:30]
    ents.loc[moving, R.DISPOSITION] = "close"
    manifest = {**result.manifest, "input": {**result.manifest.get("input", {}), "path": "南通示例名录（次年）.csv"}}
    return gs.ScreenResult(ents, result.hits[result.hits[R.INPUT_ROW].isin(ents[R.INPUT_ROW])], manifest)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_map(page, timeout_s: float = 90, *, min_zoom: int = 0) -> None:
    """Wait for the map's enterprise layer (and, with ``min_zoom``, for the map zoomed in that far)."""
    ready = f"window.gsEnterprises && window.gsEnterprises.gsCount && window.map.getZoom() >= {min_zoom}"
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        for frame in page.frames:
            try:
                if frame.evaluate(f"() => Boolean({ready})"):
                    page.wait_for_timeout(1500)  # markers and legend painted
                    return
            except Exception:
                continue
        page.wait_for_timeout(300)
    raise RuntimeError(f"the map did not appear within {timeout_s} s")


def click_marker(page) -> None:
    """Click the enterprise marker nearest the middle of the map, as a planner would."""
    for frame in page.frames:
        try:
            if not frame.evaluate("() => Boolean(window.gsEnterprises)"):
                continue
        except Exception:
            continue
        point = frame.evaluate("""() => {
            const map = window.map, size = map.getSize(); let best = null, bestD = Infinity;
            for (const l of window.gsEnterprises.getLayers()) {
                const p = map.latLngToContainerPoint(l.getLatLng());
                const d = Math.hypot(p.x - size.x * 0.62, p.y - size.y * 0.5);
                if (d < bestD) { bestD = d; best = p; }
            }
            const r = document.getElementById('map_div').getBoundingClientRect();
            return {x: best.x + r.x, y: best.y + r.y};
        }""")
        box = frame.frame_element().bounding_box()
        page.wait_for_timeout(500)
        page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
        page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
        return
    raise RuntimeError("no map to click")


def start_app(runs_dir: Path, port: int) -> subprocess.Popen:
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit"
    proc = subprocess.Popen(
        [streamlit, "run", "app.py", "--server.port", str(port), "--server.headless", "true",
         "--server.fileWatcherType", "none", "--", "--runs", str(runs_dir)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(240):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1):
                return proc
        except OSError:
            time.sleep(0.25)
    proc.terminate()
    raise RuntimeError("streamlit did not start within 60 s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    demo = gs.demo_paths()
    catalog = gs.load_catalog(demo["catalog"])
    result = gs.screen(demo["registry"], catalog, crs=demo["crs"], grades=gs.grade(demo["indicators"]))
    run = ex.prepare(result)
    ents = result.enterprises

    # the print layout: the enterprises to act on first (close, relocate, stop), as a planner would print them
    filters = ex.Filters(dispositions=("close", "relocate", "stop"))
    png = printout.print_layout(
        run,
        ex.apply_filters(run, filters),
        filters,
        fmt="png",
        layers=maplayers.display_layers(catalog),
        catalog=catalog,
    )
    small_png(png, args.out / "print_layout.png", width=1400)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="geo_screen-shots-") as tmp:
        runs_dir = Path(tmp) / "runs"
        demo_id = runs.save_run(result, runs_dir).id
        part = ents.iloc[:800]
        uploaded = gs.ScreenResult(
            part, result.hits[result.hits[R.INPUT_ROW].isin(part[R.INPUT_ROW])],
            {**result.manifest, "input": {**result.manifest.get("input", {}), "path": "崇川区名录.xlsx"}},
        )  # fmt: skip
        runs.save_run(uploaded, runs_dir)
        later = runs.save_run(a_year_later(result), runs_dir).id
        port = free_port()
        proc = start_app(runs_dir, port)
        url = f"http://127.0.0.1:{port}/"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=args.chromium, args=["--headless", "--no-sandbox", "--disable-gpu"]
                )
                page = browser.new_page(viewport=VIEWPORT)
                page.route("**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url else r.abort())

                page.goto(url, wait_until="domcontentloaded")
                wait_for_map(page)
                small_png(page.screenshot(), args.out / "first_view.png")

                page.goto(f"{url}?disp=relocate", wait_until="domcontentloaded")
                wait_for_map(page)
                click_marker(page)
                page.get_by_text("各项标准 / every standard").wait_for(timeout=60_000)
                wait_for_map(page, min_zoom=15)  # the map centres on the selected enterprise
                small_png(page.screenshot(), args.out / "card.png")

                page.goto(url, wait_until="domcontentloaded")
                wait_for_map(page)
                page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
                page.wait_for_timeout(800)
                small_png(page.screenshot(), args.out / "runs.png")

                page.goto(f"{url}?run={later}&cmp={demo_id}", wait_until="domcontentloaded")
                page.get_by_text("两次筛查对比 / changes").wait_for(timeout=90_000)
                wait_for_map(page)
                small_png(page.screenshot(), args.out / "changes.png")
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    missing = [name for name in NAMES if not (args.out / name).is_file()]
    if missing:
        print(f"not taken: {', '.join(missing)}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
