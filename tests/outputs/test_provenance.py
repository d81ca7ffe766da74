"""Beijing times and the illustrative-data stamp in run.json and every document."""

from __future__ import annotations

import json

from results_factory import make_result

from geo_screen import results as R
from geo_screen.outputs.provenance import illustrative_layers, local_time, manifest_for_output


def test_run_json_times_are_beijing_time_and_the_demo_is_stamped(demo_run, demo_result):
    manifest = json.loads((demo_run / R.MANIFEST_NAME).read_text("utf-8"))
    assert manifest["started"].endswith("+08:00") and manifest["finished"].endswith("+08:00")
    assert manifest["timezone"] == "Asia/Shanghai"
    assert manifest["illustrative"]["stamp"] == "示意数据，非官方"
    assert {"eco_redline", "water_source", "riverside", "landuse"} <= set(manifest["illustrative"]["layers"])
    assert "counties" not in manifest["illustrative"]["layers"]  # real boundaries
    assert illustrative_layers(manifest) == manifest["illustrative"]["layers"]
    assert illustrative_layers(demo_result.manifest) == manifest["illustrative"]["layers"]  # from the catalog


def test_local_time_is_labelled_and_a_run_without_illustrative_layers_is_not_stamped(tmp_path):
    assert local_time("2024-12-01T16:30:00+00:00") == "2024-12-02 00:30:00（北京时间）"
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text("name: t\nlayers: [{id: a, kind: riverside_belt, path: a.gpkg}]\n", "utf-8")
    manifest = {**make_result(12).manifest, "catalog": {"path": str(catalog)}}
    assert illustrative_layers(manifest) == [] and "illustrative" not in manifest_for_output(manifest)
