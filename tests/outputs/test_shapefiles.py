"""An export's shapefiles written by a child process: the same packages as in this process, and a failed or
interrupted child gives one clear error, an unchanged export folder and no process left behind."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import pandas as pd
import psutil
import pytest
import shapely
from results_factory import make_result

from geo_screen.errors import ExportError
from geo_screen.outputs import packages, packagezip
from geo_screen.outputs.dbf import dbf_frame
from geo_screen.outputs.packages import export_packages, package_bytes
from geo_screen.outputs.shapefiles import ShapefileWriter, shapefile_job
from geo_screen.records import checked_record


@pytest.fixture(scope="module")
def result():
    return make_result(300, seed=5)


@pytest.fixture
def children(monkeypatch):
    """Every ShapefileWriter an export makes, and the threshold lowered so that any export has a child."""
    made, init = [], ShapefileWriter.__init__

    def recorded(self, *, child):
        init(self, child=child)
        made.append(self)

    monkeypatch.setattr(ShapefileWriter, "__init__", recorded)
    monkeypatch.setattr(packages, "BACKGROUND_SHP_ROWS", 1)
    return made


def _members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def _writers_alive() -> list[psutil.Process]:
    return [
        p for p in psutil.Process().children(recursive=True) if "geo_screen.outputs.shapefiles" in " ".join(p.cmdline())
    ]


def _folder(path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


@pytest.mark.parametrize("encoding", ["UTF-8", "GBK"])
def test_a_child_writes_the_same_packages_as_this_process(result, tmp_path, children, monkeypatch, encoding):
    formats = ("shp", "xlsx", "gpkg")
    by_child = export_packages(result, tmp_path / "child", encoding=encoding, formats=formats)
    monkeypatch.setattr(packages, "BACKGROUND_SHP_ROWS", len(result.enterprises) + 1)
    in_process = export_packages(result, tmp_path / "here", encoding=encoding, formats=formats)
    assert [w._child is not None for w in children] == [True, False]
    assert [p.name for p in by_child.files] == [p.name for p in in_process.files]
    layers = []
    for a, b in zip(by_child.files, in_process.files):
        child_members, own_members = _members(a), _members(b)
        assert list(child_members) == list(own_members)
        for name, data in child_members.items():
            if name.endswith((".shp", ".shx", ".dbf", ".prj", ".cpg")):
                assert data == own_members[name], name  # byte for byte, the DBF's date of last update included
                layers.append(name.rsplit("_", 1)[-1])
    assert {"点.shp", "面.shp", "依据.dbf", "依据.cpg"} <= set(layers)  # points, footprints, the evidence table


def test_large_exports_have_a_child_and_small_ones_and_the_app_package_do_not(result, tmp_path, children):
    export_packages(result, tmp_path / "a", formats=("shp",))
    package_bytes(result, value=result.enterprises["county"].dropna().iloc[0])
    export_packages(result, tmp_path / "b", formats=("xlsx",))  # nothing for a child to write
    packages.BACKGROUND_SHP_ROWS = len(result.enterprises) + 1
    export_packages(result, tmp_path / "c", formats=("shp",))
    assert [w._child is not None for w in children] == [True, False, False, False]
    assert not _writers_alive()


def test_a_killed_child_gives_one_export_error_and_leaves_the_folder_as_it_was(result, tmp_path, children, monkeypatch):
    out = tmp_path / "out"
    export_packages(result, out, formats=("shp",), by="industry")
    before = _folder(out)
    calls, real = {"n": 0}, packages.package_members

    def killing(*args, writer, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            writer._child.kill()
        return real(*args, writer=writer, **kwargs)

    monkeypatch.setattr(packages, "package_members", killing)
    with pytest.raises(
        ExportError, match=r"writing \S+_点\.shp failed: the shapefile writer stopped \(exit status -9\)"
    ):
        export_packages(result, out, formats=("shp",), encoding="GBK")
    assert _folder(out) == before  # no package of the failed export, no staging folder
    checked_record(out, packages.EXPORT_RECORD, redo="x")
    assert children[-1]._child.returncode == -9 and not _writers_alive()


def test_an_error_in_this_process_stops_the_child(result, tmp_path, children, monkeypatch):
    out = tmp_path / "out"
    calls, real = {"n": 0}, packagezip.checklist_bytes

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # Ctrl-C while the child writes the package's shapefiles
        return real(*args, **kwargs)

    monkeypatch.setattr(packagezip, "checklist_bytes", failing)
    with pytest.raises(KeyboardInterrupt):
        export_packages(result, out)
    assert children[-1]._child.returncode is not None and not _writers_alive()
    assert list(out.iterdir()) == []


def test_a_file_the_child_cannot_write_names_the_file_and_gdals_error(tmp_path):
    frame, _ = dbf_frame(pd.DataFrame({"name": ["南通"]}), encoding="UTF-8")
    rows = gpd.GeoDataFrame(frame, geometry=[shapely.Point(120.8, 32.0)], crs="EPSG:4490")
    job = shapefile_job(rows, tmp_path / "no such folder" / "x_点.shp", encoding="UTF-8", geometry_type="Point")
    with pytest.raises(ExportError, match=r"writing x_点\.shp failed: .*no such folder.*check free space"):
        with ShapefileWriter(child=True) as writer:
            writer.submit([job])()
    assert not _writers_alive()
