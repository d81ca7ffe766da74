"""One zip policy for the command line and the app: members, sizes, ratio, traversal; bombs refused early."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from geo_screen.errors import InputDataError
from geo_screen.inputs.archives import ZipLimits, check_zip
from geo_screen.inputs.registry import read_registry

ROOT = Path(__file__).resolve().parents[2]
SMALL = ZipLimits(max_members=20, max_unpacked_bytes=4 << 20, max_ratio=50.0, ratio_floor_bytes=64 << 10)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _big_member_zip(path: Path, member: str, size: int, others: dict[str, bytes]) -> Path:
    """A zip whose ``member`` unpacks to ``size`` bytes of spaces, streamed (never held in memory)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in others.items():
            zf.writestr(name, data)
        with zf.open(member, "w", force_zip64=True) as fh:
            block = b" " * (1 << 20)
            for _ in range(size >> 20):
                fh.write(block)
    return path


def test_a_file_and_bytes_give_the_same_answer(tmp_path):
    path = _zip(tmp_path / "ok.zip", {"a.shp": b"x", "a.dbf": b"y"})
    assert [i.filename for i in check_zip(path)] == [i.filename for i in check_zip(path.read_bytes())]


@pytest.mark.parametrize(
    ("members", "why"),
    [
        ({"../evil.shp": b"x"}, r"'\.\.'"),
        ({"/abs.shp": b"x"}, "absolute"),
        ({f"f{i}.txt": b"x" for i in range(25)}, "holds 25 files"),
        ({"a.shp": b"x", "a.cpg": b" " * (2 << 20)}, r"a\.cpg"),
    ],
)
def test_policy(tmp_path, members, why):
    with pytest.raises(InputDataError, match=why):
        check_zip(_zip(tmp_path / "bad.zip", members), limits=SMALL)


def test_workbook_xml_is_capped(tmp_path):
    book = _zip(tmp_path / "big.xlsx", {"xl/worksheets/sheet1.xml": b"<row/>" * (1 << 20)})
    with pytest.raises(InputDataError, match="workbook"):
        check_zip(book, limits=ZipLimits(max_workbook_xml_bytes=1 << 20, max_ratio=1e9))


def test_registry_zip_with_a_huge_cpg_refused_by_read_registry(tmp_path):
    path = _big_member_zip(tmp_path / "r.zip", "r.cpg", 64 << 20, {"r.shp": b"x", "r.dbf": b"y", "r.shx": b"z"})
    with pytest.raises(InputDataError, match=r"r\.cpg"):
        read_registry(path)


BOUNDED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))
from geo_screen.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_one_gib_cpg_member_is_exit_2_in_bounded_memory(tmp_path, tiny_pack):
    path = _big_member_zip(tmp_path / "名录.zip", "名录.cpg", 1 << 30, {"名录.shp": b"x", "名录.dbf": b"y"})
    assert path.stat().st_size < 4 << 20
    script = tmp_path / "bounded.py"
    script.write_text(BOUNDED)
    done = subprocess.run(
        [sys.executable, str(script), "screen", str(path), "--layers", str(tiny_pack), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "名录.cpg" in done.stderr


def test_bytes_in_memory_are_checked_too():
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as zf:
        zf.writestr("a.csv", "x")
    assert len(check_zip(data.getvalue())) == 1
