"""results.xlsx: written to a path (atomically) or into a binary stream, with the same sheets either way."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from results_factory import make_result

from geo_screen import results as R
from geo_screen.outputs.workbook import write_results_workbook


def test_results_workbook_to_a_path_or_a_stream(tmp_path):
    result = make_result(12, seed=5)
    written = write_results_workbook(result, str(tmp_path / "out" / R.XLSX_NAME))
    assert isinstance(written, Path) and written == tmp_path / "out" / R.XLSX_NAME and written.is_file()
    assert [p.name for p in written.parent.iterdir()] == [R.XLSX_NAME]  # no temporary file left behind
    buf = io.BytesIO()
    assert write_results_workbook(result, buf) is None
    from_path = openpyxl.load_workbook(written, read_only=True)
    from_stream = openpyxl.load_workbook(io.BytesIO(buf.getvalue()), read_only=True)
    assert (
        from_stream.sheetnames
        == from_path.sheetnames
        == ["enterprises", "hits", "summary", "summary_disposition", "run"]
    )
    rows = lambda book: [tuple(r) for r in book["enterprises"].iter_rows(values_only=True)]  # noqa: E731
    assert rows(from_stream) == rows(from_path) and len(rows(from_stream)) == len(result.enterprises) + 1
