"""Uploads: size cap, type checks, zip path traversal and decompression bombs refused before unpacking."""

from __future__ import annotations

import io
import random
import re
import struct
import zipfile

import geopandas as gpd
import pytest
import shapely

import geo_screen as gs
from geo_screen.app import uploads as up
from geo_screen.errors import InputDataError

SMALL = up.UploadLimits(
    max_bytes=2 * up.MB, max_members=20, max_unpacked_bytes=4 * up.MB, max_ratio=50, ratio_floor_bytes=64 * 1024
)


def zip_bytes(members: dict[str, bytes], *, mode: int | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if mode is not None:
                info.external_attr = mode << 16
            zf.writestr(info, data)
    return buf.getvalue()


def patch_sizes(data: bytes, *, declared: int) -> bytes:
    """Make every header of a one-member zip declare ``declared`` uncompressed bytes (a lying header)."""
    raw = bytearray(data)
    local = raw.find(b"PK\x03\x04")
    raw[local + 22 : local + 26] = struct.pack("<I", declared)
    central = raw.find(b"PK\x01\x02")
    raw[central + 24 : central + 28] = struct.pack("<I", declared)
    return bytes(raw)


@pytest.fixture(scope="module")
def registry_csv() -> bytes:
    from conftest import registry_frame

    return registry_frame().to_csv(index=False).encode("utf-8")


# --------------------------------------------------------------------------- plain checks


def test_accepts_the_registry_formats(registry_csv):
    assert up.check_upload("名录.csv", registry_csv) == ".csv"
    assert up.check_upload("名录.XLSX", zip_bytes({"[Content_Types].xml": b"<x/>"})) == ".xlsx"


@pytest.mark.parametrize(
    "name, data, fix",
    [
        ("empty.csv", b"", "is empty"),
        ("big.csv", b"x" * (2 * up.MB + 1), "the limit is 2 MB"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "save it as .xlsx"),
        ("parts.shp", b"\x00\x00\x27\x0a", "zip them together"),
        ("tool.exe", b"MZ", "accepted: .csv"),
        ("fake.zip", b"name,lon,lat\n", "is not a .zip file"),
        ("fake.gpkg", b"PK\x03\x04....", "is not a .gpkg file"),
    ],
)
def test_refuses_with_a_fix(name, data, fix):
    with pytest.raises(InputDataError, match=fix) as info:
        up.check_upload(name, data, limits=SMALL)
    assert name in str(info.value)


def test_size_cap_follows_the_server_setting():
    limits = up.UploadLimits.from_megabytes(1)
    with pytest.raises(InputDataError, match="server.maxUploadSize"):
        up.check_upload("a.csv", b"x" * (up.MB + 1), limits=limits)


# --------------------------------------------------------------------------- zip safety


@pytest.mark.parametrize(
    "member, why",
    [
        ("../../etc/cron.d/evil.shp", "climbs out"),
        ("ok/../../evil.dbf", "climbs out"),
        ("/etc/passwd", "absolute path"),
        ("C:\\Windows\\evil.shp", "absolute path"),
        ("..\\..\\evil.shp", "climbs out"),
    ],
)
def test_path_traversal_refused_before_anything_is_written(tmp_path, member, why):
    data = zip_bytes({"reg.shp": b"x", member: b"payload"})
    with pytest.raises(InputDataError, match=why):
        up.save_upload("reg.zip", data, tmp_path, limits=SMALL)
    assert list(tmp_path.iterdir()) == []


def test_symlinks_encryption_and_nested_archives_refused():
    with pytest.raises(InputDataError, match="symbolic link"):
        up.check_zip(zip_bytes({"link.shp": b"/etc/passwd"}, mode=0o120777), limits=SMALL)
    raw = bytearray(zip_bytes({"a.csv": b"a,b\n"}))
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # general purpose flag: encrypted
        at = raw.find(sig) + offset
        raw[at] |= 0x1
    with pytest.raises(InputDataError, match="encrypted"):
        up.check_zip(bytes(raw), limits=SMALL)
    with pytest.raises(InputDataError, match="archive inside the archive"):
        up.check_zip(zip_bytes({"inner.zip": zip_bytes({"a.csv": b"1"})}), name="outer.zip", limits=SMALL)


def test_decompression_bombs_refused():
    bomb = zip_bytes({"zeros.csv": b"0" * (3 * up.MB)})  # ~3 KB packed, ~1000-fold
    assert len(bomb) < 20_000
    with pytest.raises(InputDataError, match="zip bomb"):
        up.check_zip(bomb, name="bomb.zip", limits=SMALL)
    many = zip_bytes({f"f{i}.csv": b"1" for i in range(25)})
    with pytest.raises(InputDataError, match="holds 25 files"):
        up.check_zip(many, limits=SMALL)
    wide = up.UploadLimits(max_unpacked_bytes=up.MB, max_ratio=1e9)
    with pytest.raises(InputDataError, match="unpacked"):
        up.check_zip(zip_bytes({"a.csv": b"1" * up.MB, "b.csv": b"2" * 10}), limits=wide)


def test_lying_headers_caught_by_streaming():
    honest = zip_bytes({"data.csv": random.Random(0).randbytes(102400)})  # incompressible
    with pytest.raises(InputDataError, match="data.csv"):
        up.check_zip(patch_sizes(honest, declared=1000), name="liar.zip", limits=SMALL)
    assert up.check_zip(honest, limits=SMALL)[0].file_size == 102400


def test_safe_file_name():
    assert up.safe_file_name("../../etc/名录 2024.csv") == "名录 2024.csv"
    assert up.safe_file_name('C:\\Users\\a\\b<>:"|?.xlsx') == "b______.xlsx"
    assert up.safe_file_name("...csv") == "registry.csv"


def test_progress_steps_rise_and_stop_short_of_done():
    seen = []
    step = up.progress_steps(lambda f, m: seen.append((f, m)), expected=4)
    for i in range(6):
        step(f"step {i}")
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 0.95 and seen[0] == (0.25, "step 0")


# --------------------------------------------------------------------------- screening an upload


def test_screen_upload_csv_and_zipped_shapefile(tiny_pack, registry_csv, tmp_path):
    from conftest import registry_frame

    catalog = gs.load_catalog(tiny_pack)
    messages = []
    result = up.screen_upload("企业名录.csv", registry_csv, catalog, crs="EPSG:4326", progress=messages.append)
    assert len(result.enterprises) == 16 and messages
    assert result.manifest["input"]["path"] == "企业名录.csv" and result.manifest["input"]["uploaded"]

    frame = registry_frame()  # DBF field names hold 10 bytes: ASCII headers, as county offices send them
    shp = gpd.GeoDataFrame(
        {"uscc": frame["统一社会信用代码"], "name": frame["企业名称"], "industry": frame["行业"]},
        geometry=shapely.points(frame["经度"], frame["纬度"]),
        crs="EPSG:4326",
    )
    shp.to_file(tmp_path / "reg.shp", encoding="UTF-8", engine="pyogrio")
    data = zip_bytes({p.name: p.read_bytes() for p in tmp_path.iterdir() if p.stem == "reg"})
    zipped = up.screen_upload("reg.zip", data, catalog, crs="EPSG:4326")
    for col in ("std_03", "std_04", "std_09"):
        assert zipped.enterprises[col].tolist() == result.enterprises[col].tolist()


def test_screen_upload_reports_registry_errors(tiny_pack):
    catalog = gs.load_catalog(tiny_pack)
    with pytest.raises(InputDataError, match="名录.csv|location"):
        up.screen_upload("名录.csv", "企业名称,地址\n甲,南通\n".encode(), catalog)


@pytest.mark.parametrize(
    "name, data, zh",
    [
        ("empty.csv", b"", "是空文件"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "另存为 .xlsx"),
        ("parts.shp", b"\x00\x00\x27\x0a", "压缩成一个 .zip"),
        ("tool.exe", b"MZ", "不是可读取的名录格式"),
        ("fake.zip", b"name,lon,lat\n", "内容与后缀不符"),
    ],
)
def test_refusals_are_chinese_first(name, data, zh):
    with pytest.raises(InputDataError) as info:
        up.check_upload(name, data, limits=SMALL)
    message = str(info.value)
    assert zh in message.split(" / ")[0] and re.match(r"[\u4e00-\u9fff「]", message)


def test_screening_errors_are_chinese_first_without_server_paths_or_api_options(tiny_pack):
    catalog = gs.load_catalog(tiny_pack)
    with pytest.raises(InputDataError) as info:
        up.screen_upload("无坐标.csv", "企业名称,地址\n甲,南通\n".encode(), catalog)
    message = str(info.value)
    assert message.startswith("无法筛查上传的名录「无坐标.csv」") and "经度" in message.split(" / ")[0]
    assert "geo_screen-upload" not in message and "/tmp" not in message
    assert not re.search(r"\b(crs|layer|encoding|sheet)=", message)


def test_error_clauses_naming_api_options_are_dropped():
    err = InputDataError(
        "/tmp/geo_screen-upload-x/a.gpkg: the GeoPackage has several layers ('a', 'b'); pass layer= to pick one"
    )
    message = up.user_message(err, name="a.gpkg", folder="/tmp/geo_screen-upload-x")
    assert message.startswith("无法筛查上传的名录「a.gpkg」") and "只保留" in message
    assert "pass layer=" not in message and "/tmp" not in message and "a.gpkg: the GeoPackage" in message


def test_upload_screened_with_the_apps_ledger_carries_verification(tiny_pack, registry_csv, tmp_path):
    from conftest import usc
    from ledger_factory import finding

    from geo_screen.ledger.store import open_ledger

    with open_ledger(tmp_path / "ledger.sqlite") as ledger:
        ledger.append([finding(usc(0), "属实")])
        result = up.screen_upload("名录.csv", registry_csv, gs.load_catalog(tiny_pack), crs="EPSG:4326", ledger=ledger)
    status = result.enterprises.set_index("enterprise_id")["verification"]
    assert status[usc(0)] == "属实" and status[usc(1)] == "未核实"
    assert result.manifest["ledger"]["entries"] == 1
