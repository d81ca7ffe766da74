"""Compare two export folders member for member: the same files, the same packages, the same content.

    python scripts/compare_exports.py OLD_DIR NEW_DIR

Checks ``export.json``'s file list (names and order), then every file it lists: a zip's member names and
order and each member's content; shapefiles and DBF tables read with pyogrio (attributes and geometry, dtypes
included) and their bytes (a DBF's date of last update aside), a GeoPackage's layers read with pyogrio; xlsx
sheets' cell values read with openpyxl; CSV fields (quoted or not, ``32`` and ``32.0`` alike) and README text.
The export's own time (``生成于 ...``, ``生成时间：...``) is masked; nothing else is. Prints one line per file and
exits 1 when any differs. Used to show that a change to the export code leaves its packages as they were.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pyogrio

#: a whole number as a float column's text gives it
_WHOLE = re.compile(r"^(-?\d+)\.0$")
#: the moment an export was made, as its files print it (the run's own times are the same in both and stay)
_EXPORT_TIME = re.compile(r"(生成于 |生成时间：)\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def _masked(text: str) -> str:
    return _EXPORT_TIME.sub(r"\1<export time>", text)


def _sheets(data: bytes) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return {
            ws.title: [
                tuple(_masked(v) if isinstance(v, str) else v for v in row) for row in ws.iter_rows(values_only=True)
            ]
            for ws in book.worksheets
        }
    finally:
        book.close()


def _first_difference(old: dict[str, list[tuple]], new: dict[str, list[tuple]]) -> str | None:
    if list(old) != list(new):
        return f"sheets {list(old)} != {list(new)}"
    for sheet in old:
        a, b = old[sheet], new[sheet]
        if len(a) != len(b):
            return f"sheet {sheet}: {len(a)} rows != {len(b)} rows"
        for i, (ra, rb) in enumerate(zip(a, b), start=1):
            if ra != rb:
                return f"sheet {sheet} row {i}: {ra} != {rb}"
    return None


def _csv_rows(text: str) -> list[list[str]]:
    """A CSV's rows of field values: how they are quoted aside, and a whole number written ``32`` or ``32.0``
    alike."""
    return [[_WHOLE.sub(r"\1", cell) for cell in row] for row in csv.reader(io.StringIO(text, newline=""))]


def _dbf_bytes(data: bytes) -> bytes:
    return data[:1] + data[4:]  # bytes 1-3: the date of last update


def _layer_difference(old: Path, new: Path) -> str | None:
    layers = [name for name, _ in pyogrio.list_layers(old)] if old.suffix == ".gpkg" else [None]
    if old.suffix == ".gpkg" and layers != [name for name, _ in pyogrio.list_layers(new)]:
        return f"layers {layers} != {[name for name, _ in pyogrio.list_layers(new)]}"
    for layer in layers:
        a = pyogrio.read_dataframe(old, layer=layer, read_geometry=old.suffix != ".dbf")
        b = pyogrio.read_dataframe(new, layer=layer, read_geometry=new.suffix != ".dbf")
        try:
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        except AssertionError as err:
            return f"{layer or ''} " + " ".join(str(err).split())[:300]
    return None


def _member_difference(name: str, a: bytes, b: bytes) -> str | None:
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        return _first_difference(_sheets(a), _sheets(b))
    if suffix == ".csv":
        ra, rb = _csv_rows(_masked(a.decode("utf-8-sig"))), _csv_rows(_masked(b.decode("utf-8-sig")))
        i = next((i for i, (x, y) in enumerate(zip(ra, rb)) if x != y), min(len(ra), len(rb)))
        return None if ra == rb else f"row {i + 1}: {ra[i : i + 1]} != {rb[i : i + 1]}"
    if suffix == ".txt":
        ta, tb = _masked(a.decode("utf-8-sig")), _masked(b.decode("utf-8-sig"))
        if ta == tb:
            return None
        la, lb = ta.splitlines(), tb.splitlines()
        i = next((i for i, (x, y) in enumerate(zip(la, lb)) if x != y), min(len(la), len(lb)))
        return f"line {i + 1}: {la[i : i + 1]} != {lb[i : i + 1]}"
    if suffix == ".dbf":  # the table is read with pyogrio too, once all its layer's files are out
        return None if _dbf_bytes(a) == _dbf_bytes(b) else "DBF bytes differ"
    if suffix == ".gpkg":  # read with pyogrio, layer by layer (the file records when it was written)
        return None
    return None if a == b else f"{len(a):,} bytes != {len(b):,} bytes"


def _package_differences(old: Path, new: Path) -> list[str]:
    with zipfile.ZipFile(old) as za, zipfile.ZipFile(new) as zb:
        names = za.namelist()
        if names != zb.namelist():
            return [f"members {names} != {zb.namelist()}"]
        problems = []
        with tempfile.TemporaryDirectory() as tmp:
            old_dir, new_dir = Path(tmp, "old"), Path(tmp, "new")
            old_dir.mkdir(), new_dir.mkdir()
            for name in names:
                a, b = za.read(name), zb.read(name)
                (old_dir / name).write_bytes(a)
                (new_dir / name).write_bytes(b)
                why = _member_difference(name, a, b)
                if why:
                    problems.append(f"{name}: {why}")
            for name in names:  # every member is out now: read each layer with its .shx/.prj/.cpg
                if name.endswith((".shp", ".gpkg")) or (name.endswith(".dbf") and name[:-4] + ".shp" not in names):
                    why = _layer_difference(old_dir / name, new_dir / name)
                    if why:
                        problems.append(f"{name}: {why}")
        return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    args = parser.parse_args(argv)
    files = [list(json.loads((d / "export.json").read_text("utf-8"))["files"]) for d in (args.old, args.new)]
    if files[0] != files[1]:
        print(f"export.json: files {files[0]} != {files[1]}")
        return 1
    print(f"export.json: the same {len(files[0])} files in the same order")
    failed = False
    for name in files[0]:
        old, new = args.old / name, args.new / name
        if name.endswith(".zip"):
            problems = _package_differences(old, new)
        else:
            why = _member_difference(name, old.read_bytes(), new.read_bytes())
            problems = [why] if why else []
        failed |= bool(problems)
        print(f"{name}: " + ("identical" if not problems else "differs: " + "; ".join(problems)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
