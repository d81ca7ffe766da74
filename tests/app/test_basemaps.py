"""An office's own basemaps: an intranet XYZ or WMS service, or a local tile folder served by the app, each
with its datum (GCJ-02 tiles shift the overlays for display, CGCS2000 and WGS84 tiles do not)."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from test_mapview import GCJ, WGS, enterprise_payload, html_of, one_enterprise

from geo_screen.app import basemaps, tileserver
from geo_screen.app import mapview as mv
from geo_screen.app import state as explore
from geo_screen.errors import ConfigError

PNG = bytes.fromhex(  # a 1x1 grey PNG
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
    "3a7e9b550000000a49444154789c6368000000820081d7c2fc0000000049454e44ae426082"
)


def write_tiles(folder, tiles=((9, 427, 209), (9, 428, 209))):
    for z, x, y in tiles:
        (folder / str(z) / str(x)).mkdir(parents=True, exist_ok=True)
        (folder / str(z) / str(x) / f"{y}.png").write_bytes(PNG)
    return folder


@pytest.fixture
def config_file(tmp_path):
    write_tiles(tmp_path / "tiles")
    path = tmp_path / "basemaps.yaml"
    path.write_text(
        """
basemaps:
  - id: office
    label: 单位内网影像
    kind: xyz
    url: "http://10.1.2.3/tiles/{z}/{x}/{y}.png"
    datum: cgcs2000
    attribution: 南通市自然资源和规划局
  - id: office-gcj
    label: 单位内网（GCJ-02）
    kind: xyz
    url: "http://10.1.2.3/gcj/{z}/{x}/{y}.png"
    datum: gcj02
  - id: wms
    label: 内网 WMS
    kind: wms
    url: "http://10.1.2.3/geoserver/wms"
    layers: "nantong:base"
    datum: wgs84
  - id: local
    label: 本机瓦片
    kind: folder
    folder: tiles
    datum: cgcs2000
default: office
""",
        encoding="utf-8",
    )
    return path


def test_config_is_read_and_checked(config_file, tmp_path):
    config = basemaps.load_basemaps(config_file)
    sources = config.sources()
    assert list(sources) == ["office", "office-gcj", "wms", "local"] and config.default == "office"
    assert sources["local"].folder == (tmp_path / "tiles").resolve()  # relative to the file
    assert list(basemaps.choices(sources))[:5] == ["none", "office", "office-gcj", "wms", "local"]
    for text, message in (
        ("basemaps:\n  - {id: a, label: A, kind: xyz, url: 'http://h/{z}/{x}.png', datum: wgs84}", "{z}, {x} and {y}"),
        ("basemaps:\n  - {id: a, label: A, kind: wms, url: 'http://h/wms', datum: wgs84}", "layers"),
        ("basemaps:\n  - {id: osm, label: A, kind: xyz, url: 'http://h/{z}/{x}/{y}', datum: wgs84}", "built-in"),
        ("basemaps:\n  - {id: a, label: A, kind: xyz, url: 'http://h/{z}/{x}/{y}', datum: bd09}", "datum"),
        ("basemaps:\n  - {id: a, label: A, kind: xyz, url: 'http://h/{z}/{x}/{y}', datum: wgs84, colour: 1}", "colour"),
        ("basemaps:\n  - {id: a, label: A, kind: folder, folder: nowhere, datum: wgs84}", "does not exist"),
    ):
        bad = tmp_path / "bad.yaml"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            basemaps.load_basemaps(bad)
    bad.write_text("basemaps: [\n  - {id: a", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a valid YAML file"):
        basemaps.load_basemaps(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        basemaps.load_basemaps(tmp_path / "missing.yaml")


def test_datum_decides_the_display_shift(config_file):
    sources = basemaps.load_basemaps(config_file).sources()
    ents = one_enterprise(*WGS)
    for key, expected in (("office", WGS), ("wms", WGS), ("office-gcj", GCJ)):
        page = html_of(mv.build_map(ents, basemap=sources[key]))
        payload = enterprise_payload(page)
        assert (payload["lon"][0], payload["lat"][0]) == pytest.approx(expected, abs=1.5e-6)
    assert "http://10.1.2.3/tiles/{z}/{x}/{y}.png" in html_of(mv.build_map(ents, basemap=sources["office"]))
    wms = html_of(mv.build_map(ents, basemap=sources["wms"]))
    assert "L.tileLayer.wms" in wms and "nantong:base" in wms
    with pytest.raises(ConfigError, match="not served"):
        mv.build_map(ents, basemap=sources["local"])


def test_local_folder_is_served_on_the_apps_address(config_file):
    served = tileserver.serve_sources(basemaps.load_basemaps(config_file).sources(), host="0.0.0.0")
    local = served["local"]
    assert local.kind == "xyz" and local.url.startswith("http://127.0.0.1:") and local.datum == "cgcs2000"
    assert served["office"].url == "http://10.1.2.3/tiles/{z}/{x}/{y}.png"  # intranet services stay as they are
    base = local.url.split("/{z}")[0]
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{base}/9/427/209.png", timeout=5) as r:
        assert r.status == 200 and r.headers["Content-Type"] == "image/png" and r.read() == PNG
    for path in ("/9/427/210.png", "/../basemaps.yaml", "/9/427/209.png/../../x", "/", "/9/a/1.png"):
        with pytest.raises(urllib.error.HTTPError) as info:
            opener.open(base + path, timeout=5)
        assert info.value.code == 404
        info.value.close()
    again = tileserver.serve_sources(basemaps.load_basemaps(config_file).sources(), host="127.0.0.1")
    assert again["local"].url == local.url  # one server per folder in a process
    page = html_of(mv.build_map(one_enterprise(*WGS), basemap=local))
    assert local.url in page


def test_url_names_a_configured_basemap():
    assert explore.basemap_from_query({"basemap": "office"}, ["none", "office"]) == "office"
    assert explore.basemap_from_query({"basemap": "gone"}, ["none", "office"], "office") == "office"
    assert explore.basemap_from_query({}) == "none"
