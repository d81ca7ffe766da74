"""The Streamlit page through streamlit.testing.v1.AppTest: no exception, filters drive counts and markers,
the URL carries the view, every map asset is local, and app.py stays a thin page."""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_mapview import enterprise_payload

import geo_screen as gs
from geo_screen.app import mapview as mv
from geo_screen.app import runs

APP = Path(__file__).resolve().parents[2] / "app.py"


@pytest.fixture(scope="module")
def tiny_results(tiny_pack, tmp_path_factory):
    from conftest import registry_frame

    out = tmp_path_factory.mktemp("app_results")
    path = out / "registry.csv"
    registry_frame().to_csv(path, index=False)
    result = gs.screen(path, gs.load_catalog(tiny_pack), crs="EPSG:4326")
    gs.write_results(result, out / "run")
    return out / "run", tiny_pack, result


@pytest.fixture
def app(tiny_results, monkeypatch, tmp_path):
    results, catalog, _ = tiny_results
    argv = ["app.py", "--results", str(results), "--catalog", str(catalog), "--runs", str(tmp_path / "runs")]
    monkeypatch.setattr(sys, "argv", argv)
    return AppTest.from_file(str(APP), default_timeout=60)


def component_args(at) -> dict:
    (component,) = at.get("component_instance")
    return json.loads(component.proto.json_args)


def query(at, key: str) -> list[str]:
    value = at.query_params.get(key, [])
    return [value] if isinstance(value, str) else list(value)


def metric(at, label_start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def test_app_py_is_a_thin_entry_into_the_page_package():
    tree = ast.parse(APP.read_text("utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            roots.add(node.module or "")
    assert roots == {"geo_screen.app.page.main"}
    assert len(tree.body) <= 4  # the docstring, the import, the call


def test_page_renders_results_with_local_assets(app, tiny_results):
    at = app.run()
    assert not at.exception and not at.error
    _, _, result = tiny_results
    assert metric(at, "企业") == "16"
    args = component_args(at)
    assert len(enterprise_payload(args["script"])["lat"]) == 16
    links = args["js_links"] + args["css_links"]
    assert links and all(link.startswith("data:") for link in links)
    assert not re.search(r"https?://", args["header"] + args["html"])
    assert args["returned_objects"] == ["last_object_clicked_tooltip"]
    assert len(at.tabs) == 3 and at.dataframe[-1].value.shape[0] == 16


def test_filters_change_counts_markers_and_url(app):
    at = app.run()
    at.multiselect(key="f_dispositions").set_value(["close"]).run()
    assert not at.exception
    assert metric(at, "企业") == "2" and metric(at, "触及标准") == "2"
    assert len(enterprise_payload(component_args(at)["script"])["lat"]) == 2
    assert query(at, "disp") == ["close"]
    at.multiselect(key="f_dispositions").set_value([]).run()
    at.text_input(key="f_search").input("water").run()
    assert metric(at, "企业") == "3"
    assert query(at, "q") == ["water"]


def test_url_opens_the_same_view_with_the_card(tiny_results, monkeypatch, tmp_path):
    results, catalog, result = tiny_results
    argv = ["app.py", "--results", str(results), "--catalog", str(catalog), "--runs", str(tmp_path / "runs")]
    monkeypatch.setattr(sys, "argv", argv)
    keys = mv.enterprise_keys(result.enterprises)
    key = keys[result.enterprises["name"] == "water_first"].iloc[0]
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["county"] = "通州区"
    at.query_params["sel"] = key
    at.run()
    assert not at.exception
    assert at.multiselect(key="f_counties").value == ["通州区"]
    assert metric(at, "企业") == str((result.enterprises["county"] == "通州区").sum())
    text = " ".join(m.value for m in at.markdown)
    assert "water_first" in text and "关闭取缔" in text and "第六十五条" in " ".join(c.value for c in at.caption)
    args = component_args(at)
    assert args["feature_group"] and "circleMarker" in args["feature_group"]  # the selection ring
    assert query(at, "sel") == [key] and query(at, "county") == ["通州区"]


def test_demo_on_start_and_bad_folder_message(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["app.py", "--results", "/nonexistent/run", "--runs", "/nonexistent/runs"])
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not at.exception
    assert any("no screening results at /nonexistent/run" in e.value for e in at.sidebar.error)
    with open(gs.demo_paths()["registry"], "rb") as fh:
        demo_rows = sum(1 for _ in fh) - 1
    assert metric(at, "企业") == f"{demo_rows:,}"


def test_results_folder_becomes_a_run_named_in_the_url(app):
    at = app.run()
    assert not at.exception
    (run_id,) = query(at, "run")
    assert runs.RUN_ID.fullmatch(run_id)
    picker = at.sidebar.selectbox(key="run_pick")
    assert picker.value == run_id and any("registry.csv" in o for o in picker.options)


def test_saved_upload_and_selection_come_back_from_the_url(tiny_results, monkeypatch, tmp_path):
    """A reload (a fresh session with the same URL) shows the uploaded run, its filters and its selection."""
    _, catalog, result = tiny_results
    uploaded = gs.ScreenResult(result.enterprises, result.hits, {**result.manifest, "input": {"path": "小名录.csv"}})
    info = runs.save_run(uploaded, tmp_path / "runs")
    monkeypatch.setattr(sys, "argv", ["app.py", "--catalog", str(catalog), "--runs", str(tmp_path / "runs")])
    key = mv.enterprise_keys(result.enterprises)[result.enterprises["name"] == "water_first"].iloc[0]
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["run"] = info.id
    at.query_params["sel"] = key
    at.query_params["county"] = "通州区"
    at.run()
    assert not at.exception and not at.error
    assert "名录：小名录.csv" in " ".join(c.value for c in at.caption)
    assert metric(at, "企业") == str((result.enterprises["county"] == "通州区").sum())
    assert "water_first" in " ".join(m.value for m in at.markdown)
    assert query(at, "run") == [info.id] and query(at, "sel") == [key]


def test_unknown_run_in_the_url_says_so_in_chinese_and_shows_the_demo_choice(tiny_results, monkeypatch, tmp_path):
    _, catalog, _ = tiny_results
    monkeypatch.setattr(sys, "argv", ["app.py", "--catalog", str(catalog), "--runs", str(tmp_path / "runs")])
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["run"] = "20200101-000000-abcdef"
    at.run()
    assert not at.exception
    assert any(e.value.startswith("找不到筛查记录") for e in at.sidebar.error)


def test_selection_pans_and_zooms_the_map(tiny_results, monkeypatch, tmp_path):
    results, catalog, result = tiny_results
    argv = ["app.py", "--results", str(results), "--catalog", str(catalog), "--runs", str(tmp_path / "runs")]
    monkeypatch.setattr(sys, "argv", argv)
    ents = result.enterprises
    row = ents[ents["name"] == "water_first"].iloc[0]
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["sel"] = mv.enterprise_keys(ents)[ents["name"] == "water_first"].iloc[0]
    at.run()
    group = component_args(at)["feature_group"]
    point = row.geometry.representative_point()
    assert f"geoScreen.focus(map_div, {point.y:.6f}, {point.x:.6f}, 15)" in group


def test_streamlit_config_keeps_everything_on_the_machine():
    import tomllib

    config = tomllib.loads((APP.parent / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["address"] not in ("", "0.0.0.0", "::")  # else Streamlit asks checkip.amazonaws.com
    assert config["client"]["showErrorDetails"] == "none"


def test_not_assessed_card_leads_with_the_reason(tiny_results, monkeypatch, tmp_path):
    results, catalog, result = tiny_results
    argv = ["app.py", "--results", str(results), "--catalog", str(catalog), "--runs", str(tmp_path / "runs")]
    monkeypatch.setattr(sys, "argv", argv)
    ents = result.enterprises
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["sel"] = mv.enterprise_keys(ents)[ents["name"] == "no_distance"].iloc[0]
    at.run()
    assert not at.exception
    (warning,) = [w.value for w in at.warning if "未评估" in w.value]
    assert "标准5 卫生防护距离" in warning and "无卫生防护距离" in warning
    (table,) = at.table
    assert "证据" in table.value.columns


def test_downloads_tab_offers_the_current_view(app):
    at = app.run()
    at.multiselect(key="f_dispositions").set_value(["close"]).run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert "当前视图 Excel" in labels and "当前视图 GeoPackage" in labels
    assert "打印版 PDF" in labels and "打印版 PNG" in labels
    assert any("处置方式：关闭取缔" in c.value and "（2 家企业）" in c.value for c in at.caption)
