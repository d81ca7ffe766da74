"""The in-memory files behind the app's download buttons: results (xlsx, gpkg), the public list, county packages.

>>> items = downloads(result, county="崇川区")                  # doctest: +SKIP
>>> items[0].file_name, len(items[0].make())                   # doctest: +SKIP
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from geo_screen import results as R
from geo_screen.app.state import column_options


@dataclass(frozen=True)
class Download:
    """One download button: its label, file name, MIME type and a callable making the bytes on click."""

    label: str
    file_name: str
    mime: str
    make: Callable[[], bytes]


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def results_xlsx_bytes(result: R.ScreenResult) -> bytes:
    """``results.xlsx`` of ``result``, written in memory
    (:func:`geo_screen.outputs.workbook.write_results_workbook`)."""
    from geo_screen.outputs.workbook import write_results_workbook

    buf = io.BytesIO()
    write_results_workbook(result, buf)
    return buf.getvalue()


def results_gpkg_bytes(result: R.ScreenResult) -> bytes:
    """``results.gpkg`` of ``result``; GDAL writes GeoPackages to a file only, so through a temporary folder."""
    from geo_screen.outputs.run import write_results

    with tempfile.TemporaryDirectory(prefix="geo_screen-download-") as tmp:
        write_results(result, tmp, formats=("gpkg",))
        return (Path(tmp) / R.GPKG_NAME).read_bytes()


def package_counties(result: R.ScreenResult) -> list[str]:
    """Counties with flagged enterprises (the ones :func:`geo_screen.outputs.packages.package_bytes` can package)."""
    return column_options(result.flagged, R.COUNTY)


def downloads(result: R.ScreenResult, *, county: str | None = None) -> list[Download]:
    """Download buttons for a run: results (xlsx, gpkg), the internal list of proposals and one county's package."""
    from geo_screen.outputs.citylists import INTERNAL_LIST, internal_list_bytes
    from geo_screen.outputs.packages import package_bytes

    items = [
        Download("筛查结果 Excel", R.XLSX_NAME, XLSX_MIME, lambda: results_xlsx_bytes(result)),
        Download(
            "筛查结果 GeoPackage", R.GPKG_NAME, "application/geopackage+sqlite3", lambda: results_gpkg_bytes(result)
        ),
        Download(
            "内部初筛名单 Excel（未经核实，不得公开）",
            f"{INTERNAL_LIST}.xlsx",
            XLSX_MIME,
            lambda: internal_list_bytes(result),
        ),
    ]
    if county:
        items.append(
            Download(
                f"{county} 核查包 (zip)",
                f"{county}.zip",
                "application/zip",
                lambda: package_bytes(result, by="county", value=county),
            )
        )
    return items
