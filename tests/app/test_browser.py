"""The app in a real browser (Playwright + Debian's Chromium): the demo map, a layer toggle, a filter, a card
that centres the map, an upload that survives a reload, a county download, logging in and recording findings from
the card (and a read-only app without a users file), and not one request leaving 127.0.0.1, from the browser or
from the server (the server runs with .streamlit/config.toml and a recording proxy).

Needs /usr/bin/chromium (``apt-get install chromium``); skipped when it is missing. A screenshot of the
page goes to ``test-artifacts/app.png``.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.request
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pandas as pd
import pytest

import geo_screen as gs
from geo_screen import results as R
from geo_screen.app import mapview as mv
from geo_screen.app.symbols import BUFFER_TITLE
from geo_screen.vocabulary import DISPOSITION_ZH, MISSING_ZH

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("GEO_SCREEN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def local_only(outside: list[str]):
    """A route handler that lets requests to this machine through and records and aborts every other."""

    def route_request(route):
        if urlparse(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    return route_request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Recorder(socketserver.BaseRequestHandler):
    """A proxy that records what the server tries to reach (HTTP or CONNECT) and answers nothing."""

    def handle(self):
        self.request.settimeout(2)
        try:
            self.server.seen.append(self.request.recv(1024).split(b"\r\n", 1)[0].decode("latin-1"))
        except OSError:
            pass


@pytest.fixture(scope="module")
def server_outbound():
    """Requests the Streamlit server made to anywhere but 127.0.0.1 (all of them pass through this proxy)."""
    proxy = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Recorder)
    proxy.daemon_threads = True
    proxy.seen = []
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    yield proxy
    proxy.shutdown()
    proxy.server_close()


def tile_range(zoom: int, west: float, south: float, east: float, north: float):
    """XYZ tile numbers covering a lon/lat box at ``zoom`` (Web Mercator, as Leaflet numbers them)."""

    def tile(lon, lat):
        n = 2**zoom
        y = (1 - np.arcsinh(np.tan(np.radians(lat))) / np.pi) / 2 * n
        return int((lon + 180) / 360 * n), int(y)

    (x0, y0), (x1, y1) = tile(west, north), tile(east, south)
    return [(zoom, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


@pytest.fixture(scope="module")
def office_basemaps(tmp_path_factory):
    """A basemaps file naming a local tile folder (grey PNG tiles over Nantong, zooms 7-11)."""
    from test_basemaps import write_tiles

    root = tmp_path_factory.mktemp("office")
    tiles = [t for z in range(7, 12) for t in tile_range(z, 119.9, 31.3, 122.2, 33.0)]
    write_tiles(root / "tiles", tiles)
    path = root / "basemaps.yaml"
    path.write_text(
        "basemaps:\n  - {id: local, label: 本机瓦片, kind: folder, folder: tiles, datum: cgcs2000}\n", encoding="utf-8"
    )
    return path


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory):
    """The runs folder the app is started with (a test registers results folders in it)."""
    return tmp_path_factory.mktemp("runs")


@contextlib.contextmanager
def app_process(app_args: list[str], proxy_port: int, log_name: str):
    """A Streamlit server of app.py with ``app_args``, every outbound request sent to the recording proxy."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    port = free_port()
    proxy = f"http://127.0.0.1:{proxy_port}"
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    env.update(dict.fromkeys(("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"), proxy))
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit"
    ARTIFACTS.mkdir(exist_ok=True)
    command = [streamlit, "run", "app.py", "--server.port", str(port), "--server.headless", "true"]
    command += ["--server.fileWatcherType", "none", "--", *app_args]
    with open(ARTIFACTS / log_name, "wb") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(120):
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.25)
            else:
                pytest.fail("streamlit did not answer /_stcore/health within 30 s")
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def server(server_outbound, office_basemaps, runs_dir):
    # the address, usage statistics and error details come from .streamlit/config.toml
    args = ["--runs", str(runs_dir), "--basemaps", str(office_basemaps)]
    with app_process(args, server_outbound.server_address[1], "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def demo():
    """The demo screened here too: the numbers the page must show."""
    paths = gs.demo_paths()
    result = gs.screen(paths["registry"], gs.load_catalog(paths["catalog"]), crs=paths["crs"])
    return paths, result


@contextlib.contextmanager
def guarded_page(pw, outside: list[str], *, failure: str | None = None, width: int = 1600, **options):
    """A page of a fresh Chromium whose requests off this machine are refused and noted in ``outside``
    (:func:`local_only`); on an error a screenshot ``ARTIFACTS/failure`` (when named); Chromium closed either way.
    ``options`` go to ``browser.new_context``."""
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    context = browser.new_context(viewport={"width": width, "height": 1000}, **options)
    context.route("**/*", local_only(outside))
    page = context.new_page()
    try:
        yield page
    except Exception:
        if failure:
            page.screenshot(path=str(ARTIFACTS / failure))
        raise
    finally:
        context.close()
        browser.close()


def located(frame: pd.DataFrame) -> int:
    return int((~frame.geometry.isna() & ~frame.geometry.is_empty).sum())


def map_frame(page, *, count: int | None = None, timeout_s: float = 30):
    """The iframe holding the Leaflet map (once its enterprise layer exists, with ``count`` markers if given)."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        for frame in page.frames:
            try:
                n = frame.evaluate("window.gsEnterprises ? window.gsEnterprises.gsCount : null")
            except Exception:
                continue
            if n is not None and (count is None or n == count):
                return frame
        page.wait_for_timeout(250)
    raise AssertionError(f"no map with {count} enterprises within {timeout_s} s")


def metric_value(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]', has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def wait_metric(page, label: str, value: str, timeout_s: float = 30) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            if metric_value(page, label) == value:
                return
        except Exception:
            pass
        page.wait_for_timeout(200)
    raise AssertionError(f"metric {label} never showed {value} (last: {metric_value(page, label)})")


def layer_shown(frame, title: str) -> bool:
    return frame.evaluate("(t) => Object.values(window.map._layers).some(l => l.gsTitle === t)", title)


def click_marker(page, frame) -> None:
    """Click the enterprise marker nearest the map centre (clear of the legend and layer list)."""
    point = frame.evaluate("""() => {
        const map = window.map, size = map.getSize(); let best = null, bestD = Infinity;
        for (const l of window.gsEnterprises.getLayers()) {
            const p = map.latLngToContainerPoint(l.getLatLng());
            const d = Math.hypot(p.x - size.x * 0.45, p.y - size.y * 0.5);
            if (d < bestD) { bestD = d; best = p; }
        }
        const r = document.getElementById('map_div').getBoundingClientRect();
        return {x: best.x + r.x, y: best.y + r.y};
    }""")
    box = frame.frame_element().bounding_box()
    page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def test_planner_session_offline(server, server_outbound, demo, tmp_path):
    from playwright.sync_api import sync_playwright

    paths, result = demo
    ents = result.enterprises
    keys = mv.enterprise_keys(ents)
    outside: list[str] = []

    with sync_playwright() as pw:
        with guarded_page(pw, outside, failure="failure.png", accept_downloads=True) as page:
            page.on(
                "websocket", lambda ws: outside.append(ws.url) if urlparse(ws.url).hostname not in LOCAL_HOSTS else None
            )
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server, wait_until="domcontentloaded")

            # 1. the demo map, every located enterprise drawn
            frame = map_frame(page, count=located(ents), timeout_s=60)
            wait_metric(page, "企业 / enterprises", f"{len(ents):,}")

            # 2. a layer switched off and on in the layer list
            title = "县（市、区）界"
            assert layer_shown(frame, title)
            frame.locator(".leaflet-control-layers").get_by_text(title, exact=True).click()
            assert not layer_shown(frame, title)
            frame.locator(".leaflet-control-layers").get_by_text(title, exact=True).click()
            assert layer_shown(frame, title)

            # 3. a filter: the map follows
            close = ents[ents[R.DISPOSITION] == "close"]
            box = page.locator('[data-testid="stMultiSelect"]', has_text="处置方式")
            box.click()
            page.keyboard.type("关闭取缔")
            page.keyboard.press("Enter")
            page.keyboard.press("Escape")
            wait_metric(page, "企业 / enterprises", f"{len(close):,}")
            frame = map_frame(page, count=located(close))
            assert "disp=close" in page.url

            # 4. click an enterprise: its card opens and the URL names it
            page.wait_for_timeout(500)
            click_marker(page, frame)
            page.wait_for_function("() => location.search.includes('sel=')", timeout=15_000)
            key = parse_qs(urlparse(page.url).query)["sel"][0]
            row = ents[keys == key].iloc[0]
            assert row[R.DISPOSITION] == "close"
            page.get_by_text("各项标准 / every standard").wait_for(timeout=15_000)
            page.get_by_text(str(row[R.NAME]), exact=True).first.wait_for(timeout=5_000)
            # ... and the map centres on it, close enough to see the ring
            frame = map_frame(page, count=located(close))
            point = row.geometry.representative_point()
            frame.wait_for_function("() => window.map.getZoom() >= 15", timeout=10_000)
            centre = frame.evaluate("() => { const c = window.map.getCenter(); return [c.lng, c.lat]; }")
            assert centre == pytest.approx([point.x, point.y], abs=2e-4)
            page.wait_for_timeout(800)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "app.png"))

            # 5. upload a small registry (the demo's first rows, GBK, GCJ-02) and see it screened
            demo = pd.read_csv(paths["registry"], encoding="gbk", dtype=str)
            # the first rows and a few the filter keeps (a closure is rarer since rectification comes first)
            closed = np.flatnonzero(ents[R.DISPOSITION].to_numpy() == "close")[:10]
            sample = pd.concat([demo.head(30), demo.iloc[closed[closed >= 30]]])
            upload = tmp_path / "小名录.csv"
            sample.to_csv(upload, index=False, encoding="gbk")
            expected = gs.screen(upload, gs.load_catalog(paths["catalog"]), crs="gcj02").enterprises
            page.get_by_text("筛查新名录 / screen a new registry").click()
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))
            page.get_by_role("button", name="开始筛查 / screen").click()
            page.get_by_text("筛查完成 / done").wait_for(timeout=30_000)
            page.get_by_role("button", name="返回演示数据 / back to the demo").wait_for(timeout=15_000)
            shown = expected[expected[R.DISPOSITION] == "close"]  # the filter still applies
            wait_metric(page, "企业 / enterprises", f"{len(shown):,}")
            map_frame(page, count=located(shown))
            page.get_by_text("名录：小名录.csv").wait_for(timeout=5_000)

            # 5b. a reload (F5) keeps the uploaded run: its id is in the URL
            page.wait_for_function("() => location.search.includes('run=')", timeout=15_000)
            page.reload(wait_until="domcontentloaded")
            wait_metric(page, "企业 / enterprises", f"{len(shown):,}", timeout_s=60)
            page.get_by_text("名录：小名录.csv").wait_for(timeout=15_000)
            map_frame(page, count=located(shown))

            # 6. download a county package of the uploaded run and read it back
            page.get_by_role("tab", name="下载 / downloads").click()
            button = page.locator('[data-testid="stDownloadButton"]', has_text="核查包")
            county = button.inner_text().split(" 核查包")[0].strip()
            with page.expect_download(timeout=30_000) as info:
                button.click()
            data = Path(info.value.path()).read_bytes()
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = zf.namelist()
            assert any(n.endswith(".shp") for n in names) and any(n.endswith(".xlsx") for n in names)
            flagged = expected[expected[R.STANDARDS_HIT].fillna("") != ""]
            assert county in set(flagged[R.COUNTY].fillna(MISSING_ZH))
    assert not outside, f"requests left the machine: {outside[:5]}"
    assert not server_outbound.seen, f"the server reached out: {server_outbound.seen[:5]}"
    assert not errors, errors


def wait_centred(frame, lonlat, *, timeout_s: float = 30) -> None:
    """Wait until the map shows ``lonlat`` at zoom >= 15 within ~20 m of its centre."""
    deadline = time.time() + timeout_s
    view = None
    while time.time() < deadline:
        view = frame.evaluate(
            "() => { const c = window.map.getCenter(); return [c.lng, c.lat, window.map.getZoom()]; }"
        )
        if view[2] >= 15 and abs(view[0] - lonlat[0]) < 2e-4 and abs(view[1] - lonlat[1]) < 2e-4:
            return
        frame.page.wait_for_timeout(250)
    raise AssertionError(f"the map never centred on {lonlat} at zoom >= 15 (last: {view})")


def test_a_sel_link_opens_the_card_and_centres_the_map(
    server, server_outbound, runs_dir, demo_run, demo_result, tmp_path
):
    """A fresh page at ``/?sel=KEY`` (and ``/?run=ID&sel=KEY``) opens the card and centres the map on the
    enterprise, as a click does; ``/?run=LATER&cmp=ID`` shows the changes between two runs."""
    from playwright.sync_api import sync_playwright

    from geo_screen.app import runs

    ents = demo_result.enterprises
    keys = mv.enterprise_keys(ents)
    flagged = np.flatnonzero((ents[R.DISPOSITION] == "close").to_numpy() & ~ents.geometry.is_empty.to_numpy())
    row = ents.iloc[flagged[len(flagged) // 2]]
    key = keys.iloc[flagged[len(flagged) // 2]]
    point = row.geometry.representative_point()
    run_id = runs.register_folder(demo_run, runs_dir).id
    # a later run: three enterprises gone, five newly flagged
    later = ents.drop(index=ents.index[:3]).copy()
    clear = later.index[(later[R.DISPOSITION] == "none").to_numpy()][:5]
    later.loc[clear, [R.STANDARDS_HIT, R.DISPOSITION]] = ["3", "per_law"]
    manifest = {**demo_result.manifest, "input": {**demo_result.manifest["input"], "path": "名录2026.csv"}}
    gs.write_results(
        gs.ScreenResult(later, demo_result.hits.iloc[:0], manifest), tmp_path / "later", formats=("gpkg", "parquet")
    )
    later_id = runs.register_folder(tmp_path / "later", runs_dir).id
    outside: list[str] = []

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for query in (f"sel={key}", f"run={run_id}&sel={key}"):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                context.route("**/*", local_only(outside))
                page = context.new_page()
                try:
                    page.goto(f"{server}/?{query}", wait_until="domcontentloaded")
                    page.get_by_text("各项标准 / every standard").wait_for(timeout=60_000)
                    page.get_by_text(str(row[R.NAME]), exact=True).first.wait_for(timeout=10_000)
                    wait_centred(map_frame(page, count=located(ents), timeout_s=60), (point.x, point.y))
                    assert f"sel={key}" in page.url
                except Exception:
                    page.screenshot(path=str(ARTIFACTS / "failure-sel.png"))
                    raise
                finally:
                    context.close()
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.route("**/*", local_only(outside))
            page = context.new_page()
            try:  # two runs compared: the changes panel, the map and the metrics narrowed to the five changed
                page.goto(f"{server}/?run={later_id}&cmp={run_id}", wait_until="domcontentloaded")
                page.get_by_text("两次筛查对比 / changes").wait_for(timeout=60_000)
                wait_metric(page, "企业 / enterprises", "5", timeout_s=30)
                frame = map_frame(page, count=located(later.loc[clear]), timeout_s=30)
                page.get_by_text("变化企业 8 家").wait_for(timeout=10_000)
                frame.evaluate("() => { window.gsEnterprises.openTooltip(); }")  # a marker's tooltip names its change
                assert "新触及标准" in frame.locator(".gs-tip").first.inner_text(timeout=5_000)
                assert f"cmp={run_id}" in page.url
            except Exception:
                page.screenshot(path=str(ARTIFACTS / "failure-changes.png"))
                raise
            finally:
                context.close()
        finally:
            browser.close()
    assert not outside, f"requests left the machine: {outside[:5]}"
    assert not server_outbound.seen, f"the server reached out: {server_outbound.seen[:5]}"


def test_local_tiles_and_measure_tool_offline(server, server_outbound):
    """A local tile folder as the basemap: the tiles come from the app's own tile server (127.0.0.1), and
    the vendored measure tool is on the map; nothing leaves the machine."""
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    tiles: list[tuple[str, int]] = []

    with sync_playwright() as pw:
        with guarded_page(pw, outside, failure="failure-tiles.png", width=1400) as page:
            page.on("response", lambda r: tiles.append((r.url, r.status)) if r.url.endswith(".png") else None)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{server}/?basemap=local", wait_until="domcontentloaded")
            frame = map_frame(page, timeout_s=60)
            # at 1400 px the first view frames the city: its box fills >= 80 % of the map's width or height
            page.wait_for_timeout(1000)
            fill = frame.evaluate("""() => {
                const m = window.map, b = m.gsFitBounds, s = m.getSize();
                const sw = m.latLngToContainerPoint(b.getSouthWest()), ne = m.latLngToContainerPoint(b.getNorthEast());
                return Math.max((ne.x - sw.x) / s.x, (sw.y - ne.y) / s.y);
            }""")
            assert fill >= 0.8, f"the data fill {fill:.0%} of the first view"
            frame.wait_for_function(
                "() => document.querySelectorAll('img.leaflet-tile-loaded').length >= 4", timeout=30_000
            )
            loaded = frame.evaluate("() => [...document.querySelectorAll('img.leaflet-tile-loaded')].map(i => i.src)")
            # the note on the sanitary buffers (the demo has more than are drawn) only while that layer is on
            assert frame.locator(".gs-note").count() == 0
            frame.locator(".leaflet-control-layers").get_by_text(BUFFER_TITLE, exact=True).click()
            assert "卫生防护距离图层只画出前" in frame.locator(".gs-note").inner_text(timeout=5_000)
            frame.locator(".leaflet-control-layers").get_by_text(BUFFER_TITLE, exact=True).click()
            assert frame.locator(".gs-note").count() == 0
            assert not page.get_by_text("卫生防护距离图层只画出前").count()  # no caption under the map either
            measure = frame.locator(".leaflet-control-measure")
            measure.wait_for(timeout=10_000)
            measure.hover()
            title = frame.locator(".leaflet-control-measure h3").first.inner_text()
            check_streamlit_strings(page)
            check_gcj02_warning(page)
    assert loaded and all(urlparse(src).hostname == "127.0.0.1" and src.endswith(".png") for src in loaded)
    assert {urlparse(src).port for src in loaded} != {urlparse(server).port}  # the tile server, not Streamlit
    served = [status for url, status in tiles if url in set(loaded)]
    assert served and set(served) == {200}
    assert "测量" in title
    assert not outside, f"requests left the machine: {outside[:5]}"
    assert not server_outbound.seen, f"the server reached out: {server_outbound.seen[:5]}"
    assert not errors, errors


def after_text(locator) -> str:
    """What a localised Streamlit string shows: its ``::after`` content (the English text is hidden at size 0)."""
    return locator.first.evaluate(
        "e => getComputedStyle(e).fontSize === '0px' ? getComputedStyle(e, '::after').content : e.textContent"
    )


def open_menu(page, box, item: str, tries: int = 5) -> None:
    """Open a select box's menu until ``item`` shows (a click on a loaded page can land before the widget
    listens)."""
    for _ in range(tries):
        box.click()
        page.wait_for_timeout(300)
        if not page.locator(item).count():
            page.keyboard.press("ArrowDown")
        try:
            page.locator(item).first.wait_for(timeout=3_000)
            return
        except Exception:
            page.keyboard.press("Escape")
    raise AssertionError(f"the menu of {box} never showed {item}")


def check_streamlit_strings(page) -> None:
    """Streamlit's own "Upload", "200MB per file" and "Select all" read in Chinese."""
    page.get_by_text("筛查新名录 / screen a new registry").click()
    zone = page.locator('[data-testid="stFileUploaderDropzone"]')
    assert "选择文件" in after_text(zone.locator('button [data-testid="stMarkdownContainer"] p'))
    assert "单个文件不超过 200 MB" in after_text(
        page.locator('[data-testid="stFileUploaderDropzoneInstructions"] span')
    )
    open_menu(page, page.locator('[data-testid="stMultiSelect"]', has_text="处置方式"), '[data-key="__select_all__"]')
    assert "全选" in after_text(page.locator('[data-key="__select_all__"] [data-item-hl]'))
    page.keyboard.press("Escape")


def check_gcj02_warning(page) -> None:
    """The demo registry (GCJ-02) uploaded as WGS84: the page warns "坐标疑似为GCJ-02"."""
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(gs.demo_paths()["registry"]))
    open_menu(page, page.locator('[data-testid="stSelectbox"]', has_text="坐标系"), '[role="option"]')
    page.get_by_role("option", name=re.compile("^WGS84")).click()
    page.get_by_role("button", name="开始筛查 / screen").click()
    page.get_by_text("坐标疑似为GCJ-02").first.wait_for(timeout=90_000)


def test_clustered_map_renders_offline(tmp_path):
    """Above ``cluster_above`` markers are clustered client-side; the page is a plain file with no server."""
    from playwright.sync_api import sync_playwright
    from results_factory import make_result

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    result = make_result(80, seed=5)
    page_path = tmp_path / "map.html"
    mv.build_map(result.enterprises, cluster_above=20).save(str(page_path))
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 700})
        page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("data:", "file:")) else None)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(page_path.as_uri())
            page.wait_for_function("() => window.gsEnterprises && window.gsEnterprises.gsLoaded", timeout=15_000)
            state = page.evaluate("""() => ({
                count: window.gsEnterprises.gsCount, clustered: window.gsEnterprises.gsClustered,
                clusters: document.querySelectorAll('.gs-cluster').length,
                legend: document.querySelectorAll('.gs-legend-row').length,
                layers: document.querySelectorAll('.leaflet-control-layers-overlays label').length})""")
        finally:
            browser.close()
    assert state["count"] == 79 and state["clustered"] and state["clusters"] > 0
    assert state["legend"] == len(DISPOSITION_ZH) and state["layers"] >= 1
    assert not errors and not requests


def test_browser_print_puts_title_counts_and_map_on_page_one(server, server_outbound, demo, tmp_path):
    """Ctrl+P: the page's print CSS leaves the sidebar out; page 1 holds the title, the counts and the map."""
    from playwright.sync_api import sync_playwright

    from geo_screen.app.symbols import DISPOSITION_STYLES

    pdftoppm, pdftotext = shutil.which("pdftoppm"), shutil.which("pdftotext")
    if not (pdftoppm and pdftotext):
        pytest.skip("pdftoppm/pdftotext are missing: apt-get install poppler-utils")
    _, result = demo
    outside: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.route("**/*", local_only(outside))
        try:
            page.goto(server, wait_until="domcontentloaded")
            map_frame(page, count=located(result.enterprises), timeout_s=60)
            wait_metric(page, "企业 / enterprises", f"{len(result.enterprises):,}")
            page.wait_for_timeout(1000)
            pdf = tmp_path / "page.pdf"
            page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
        finally:
            browser.close()
    subprocess.run(
        [pdftoppm, "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile", pdf, tmp_path / "p1"], check=True
    )
    text = subprocess.run(
        [pdftotext, "-f", "1", "-l", "1", pdf, "-"], check=True, capture_output=True, text=True
    ).stdout.replace(" ", "")
    assert (
        "落后产能退出综合标准筛查地图" in text and "企业/enterprises" in text and f"{len(result.enterprises):,}" in text
    )
    assert "筛选/filters" not in text and "筛查记录/runs" not in text  # no sidebar
    import matplotlib.image as mimage

    pixels = mimage.imread(tmp_path / "p1.png")[..., :3]
    assert 0.02 < float((pixels.min(axis=2) < 0.9).mean()) < 0.6
    marker_colours = [fill for fill, _, _ in DISPOSITION_STYLES.values() if fill.startswith("#")]
    rgb = np.array([[int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)] for c in marker_colours])
    near = (np.abs(pixels[:, :, None, :] - rgb[None, None]).max(axis=3) < 0.06).any(axis=2)
    assert near.sum() > 200, f"page 1 shows too little of the map's markers ({near.sum()} pixels)"
    assert not outside, f"requests left the machine: {outside[:5]}"
    assert not server_outbound.seen, f"the server reached out: {server_outbound.seen[:5]}"


# --------------------------------------------------------------------------- acting from the card: login, ledger

USER, PASSWORD = "zhangsan", "correct horse 9"


@pytest.fixture(scope="module")
def ledger_setup(tiny_pack, tmp_path_factory):
    """A small screened run, a ledger with one note on its first enterprise, and a users file with one user."""
    from conftest import registry_frame

    from geo_screen.app.users import add_user
    from geo_screen.ledger.entries import Entry
    from geo_screen.ledger.store import open_ledger

    folder = tmp_path_factory.mktemp("ledger_app")
    registry_frame().to_csv(folder / "registry.csv", index=False)
    result = gs.screen(folder / "registry.csv", gs.load_catalog(tiny_pack), crs="EPSG:4326")
    gs.write_results(result, folder / "run")
    result = gs.read_results(folder / "run")
    row = result.enterprises[result.enterprises[R.NAME] == "water_first"].iloc[0]
    with open_ledger(folder / "ledger.sqlite") as ledger:
        ledger.append([Entry("note", row[R.ENTERPRISE_ID], "李四", note="企业称已停产")])
    add_user(folder / "users.yaml", USER, name="张三", password=PASSWORD)
    key = mv.enterprise_keys(result.enterprises)[result.enterprises[R.NAME] == "water_first"].iloc[0]
    args = ["--results", str(folder / "run"), "--catalog", str(tiny_pack), "--ledger", str(folder / "ledger.sqlite")]
    return folder, args, result, row, key


def _choose(page, label: str, option: str) -> None:
    page.locator('[data-testid="stSelectbox"]', has_text=label).first.click()
    page.keyboard.type(option)
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)


def test_logged_in_user_records_findings_from_the_card(ledger_setup, server_outbound, tmp_path):
    from playwright.sync_api import sync_playwright

    from geo_screen.ledger.store import open_ledger

    folder, args, result, row, key = ledger_setup
    args = [*args, "--users", str(folder / "users.yaml"), "--runs", str(tmp_path / "runs")]
    outside: list[str] = []
    with app_process(args, server_outbound.server_address[1], "streamlit-ledger.log") as url:
        with sync_playwright() as pw:
            with guarded_page(pw, outside, failure="failure-ledger.png") as page:
                page.goto(f"{url}/?sel={key}", wait_until="domcontentloaded")
                # the history, for everyone; recording only after logging in
                page.get_by_text("台账记录 / ledger history").wait_for(timeout=60_000)
                page.get_by_text("企业称已停产").wait_for(timeout=10_000)
                assert not page.get_by_text("记录核查结论 / record a finding").count()
                page.get_by_text("登录以记录核查结论 / log in to record findings").click()
                page.get_by_label("用户名 / username").fill(USER)
                page.get_by_label("密码 / password").fill(PASSWORD)
                page.get_by_role("button", name="登录 / log in", exact=True).click()
                page.get_by_text("记录核查结论 / record a finding").wait_for(timeout=30_000)
                page.get_by_text("已登录 / logged in：张三（zhangsan）").wait_for(timeout=10_000)

                # 1. a finding with a note: one ledger entry, shown in the history at once
                _choose(page, "核查结论", "整改不到位")
                page.get_by_label("核查情况说明 / note").fill("仍在生产，未见整改")
                page.keyboard.press("Tab")
                page.wait_for_timeout(800)
                page.get_by_role("button", name="保存到台账 / save to the ledger").click()
                page.get_by_text("已记入台账").wait_for(timeout=30_000)
                page.get_by_text("仍在生产，未见整改").wait_for(timeout=10_000)
                with open_ledger(folder / "ledger.sqlite") as ledger:
                    entries = ledger.entries(row[R.ENTERPRISE_ID])
                    assert ledger.check().ok
                assert [(e.kind, e.value) for e in entries] == [("note", None), ("finding", "整改不到位")]
                assert entries[-1].recorded_by == "张三（zhangsan）" and entries[-1].source_file == "app"
                assert entries[-1].run_id == result.manifest["run_id"] and entries[-1].note == "仍在生产，未见整改"

                # 2. 位置有误: a click on the map places the corrected location, shown before saving
                _choose(page, "核查结论", "位置有误")
                page.get_by_text("请在地图上点击企业的正确位置").wait_for(timeout=30_000)
                page.wait_for_timeout(1500)  # the map takes the click mode
                frame = map_frame(page)
                target = frame.evaluate("""() => {
                    const size = window.map.getSize(), p = L.point(size.x * 0.5 + 60, size.y * 0.5 + 40);
                    const ll = window.map.containerPointToLatLng(p);
                    const r = document.getElementById('map_div').getBoundingClientRect();
                    return {x: p.x + r.x, y: p.y + r.y, lon: ll.lng, lat: ll.lat};
                }""")
                box = frame.frame_element().bounding_box()
                page.mouse.click(box["x"] + target["x"], box["y"] + target["y"])
                page.get_by_text("地图上的蓝色菱形").wait_for(timeout=30_000)
                map_frame(page).locator(".gs-fix").wait_for(timeout=10_000)
                page.get_by_role("button", name="保存到台账 / save to the ledger").click()
                page.get_by_text("已记入台账").wait_for(timeout=30_000)
                with open_ledger(folder / "ledger.sqlite") as ledger:
                    fix = ledger.entries(row[R.ENTERPRISE_ID])[-1]
                assert fix.kind == "location_fix" and fix.recorded_by == "张三（zhangsan）"
                assert (fix.lon, fix.lat) == pytest.approx((target["lon"], target["lat"]), abs=2e-4)  # within 2 px
                page.get_by_text("位置更正").first.wait_for(timeout=10_000)
                page.screenshot(path=str(ARTIFACTS / "app-ledger.png"))
    assert not outside, f"requests left the machine: {outside[:5]}"
    assert not server_outbound.seen, f"the server reached out: {server_outbound.seen[:5]}"


def test_read_only_app_shows_history_but_no_recording_control(ledger_setup, server_outbound, tmp_path):
    from playwright.sync_api import sync_playwright

    folder, args, _, _, key = ledger_setup
    outside: list[str] = []
    with app_process([*args, "--runs", str(tmp_path / "runs")], server_outbound.server_address[1], "ro.log") as url:
        with sync_playwright() as pw:
            with guarded_page(pw, outside) as page:
                page.goto(f"{url}/?sel={key}", wait_until="domcontentloaded")
                page.get_by_text("企业称已停产").wait_for(timeout=60_000)
                page.get_by_text("（只读 / read-only）", exact=False).wait_for(timeout=10_000)
                page.wait_for_timeout(1000)
                assert not page.get_by_text("记录核查结论 / record a finding").count()
                assert not page.get_by_role("button", name="保存到台账 / save to the ledger").count()
                assert not page.get_by_text("登录以记录核查结论", exact=False).count()
    assert not outside and not server_outbound.seen
