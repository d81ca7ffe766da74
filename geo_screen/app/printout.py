"""The print layout of the current view (PDF, PNG): what a planner pastes into a report.

One A4 landscape page drawn by matplotlib (geopandas' ``plot`` for the zone layers) in a projected CGCS2000
Transverse Mercator chosen for the view (:func:`geo_screen.inputs.crs.metric_crs`: metres, grid north up):
title, the filters in words, the map at the view's extent (the enterprises coloured as on the web map, the
pack's zone layers and county boundaries), a legend (dispositions with their counts, zone swatches), a
scale bar in metres or kilometres, a north arrow, the date, the data sources from the pack's catalog and,
when the run used illustrative layers, the illustrative-data stamp. Nothing is fetched: no tiles.

Chinese text needs a CJK font: the first of :data:`CJK_FONTS` matplotlib's font manager finds (Debian:
``apt-get install fonts-wqy-microhei``); without one a :class:`UserWarning` says so and the text falls back to
matplotlib's default font, whose missing glyphs print as boxes.

>>> pdf = print_layout(run, shown, filters, layers=display_layers(catalog), catalog=catalog)  # doctest: +SKIP
"""

from __future__ import annotations

import io
import math
import unicodedata
import warnings
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import geopandas as gpd
import matplotlib
import numpy as np
import shapely
from matplotlib import font_manager
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from pyproj import CRS, Transformer

from geo_screen import results as R
from geo_screen.app.downloads import Download
from geo_screen.app.maplayers import DisplayLayer
from geo_screen.app.state import Filters, Run, summary_counts
from geo_screen.app.symbols import DISPOSITION_STYLES
from geo_screen.app.viewexport import filters_in_words, run_in_words
from geo_screen.inputs.crs import metric_crs
from geo_screen.outputs.provenance import illustrative_stamp, local_time
from geo_screen.pack.catalog import Catalog
from geo_screen.vocabulary import DISPOSITION_ZH

#: CJK fonts tried in order (Debian's fonts-wqy-microhei first; the others for Windows/macOS/Noto installs)
CJK_FONTS = (
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
)
TITLE = "落后产能退出综合标准筛查地图"
PAGE_IN = (11.69, 8.27)  #: A4 landscape, inches
#: figure-fraction boxes (left, bottom, width, height): the map and the legend
MAP_BOX = (0.03, 0.11, 0.64, 0.76)
LEGEND_BOX = (0.70, 0.45, 0.28, 0.42)
SOURCES_BOX = (0.70, 0.03, 0.28, 0.35)
PNG_DPI = 150
STAMP_RED = "#C00000"
PDF_MIME, PNG_MIME = "application/pdf", "image/png"

Format = Literal["pdf", "png"]


def cjk_font() -> str | None:
    """The first installed font of :data:`CJK_FONTS` (a family name for matplotlib), or None with a warning."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    warnings.warn(
        f"no CJK font found (tried {', '.join(CJK_FONTS)}): the print layout's Chinese text will show as boxes; "
        "install one, e.g. 'apt-get install fonts-wqy-microhei' on Debian",
        UserWarning,
        stacklevel=2,
    )
    return None


def view_extent(
    enterprises: gpd.GeoDataFrame, layers: Sequence[DisplayLayer] = ()
) -> tuple[float, float, float, float]:
    """The lon/lat box the view shows: the screened enterprises' extent, else every located one's, else the
    layers' (as the web map opens); Nantong's when there is nothing at all."""
    geoms = enterprises.geometry.to_numpy()
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    if R.ROW_STATUS in enterprises:
        inside = present & enterprises[R.ROW_STATUS].isin(R.SCREENABLE_STATUSES).to_numpy(dtype=bool)
        present = inside if inside.any() else present
    if present.any():
        return tuple(float(v) for v in shapely.total_bounds(geoms[present]))
    boxes = [shapely.total_bounds(layer.frame.geometry.to_numpy()) for layer in layers if len(layer.frame)]
    if boxes:
        arr = np.array(boxes)
        return float(arr[:, 0].min()), float(arr[:, 1].min()), float(arr[:, 2].max()), float(arr[:, 3].max())
    return 120.0, 31.6, 121.9, 32.7


def _padded(box: tuple[float, float, float, float], crs: CRS, *, min_span_m: float = 2000.0):
    """``box`` (lon/lat) in ``crs`` metres, padded by 6 % and to at least ``min_span_m`` a side."""
    to_metric = Transformer.from_crs(R.OUTPUT_CRS, crs, always_xy=True)
    xs, ys = to_metric.transform([box[0], box[2], box[0], box[2]], [box[1], box[1], box[3], box[3]])
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    half_w = max((x1 - x0) * 0.56, min_span_m / 2)
    half_h = max((y1 - y0) * 0.56, min_span_m / 2)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - half_w, cy - half_h, cx + half_w, cy + half_h


def _fitted(box, ratio: float):
    """``box`` widened or heightened about its centre to width / height = ``ratio``."""
    w, h = box[2] - box[0], box[3] - box[1]
    w, h = max(w, h * ratio), max(h, w / ratio)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def _leaflet(style: dict) -> dict:
    """A Leaflet path style as matplotlib keyword arguments."""
    filled = style.get("fill", True) and "fillColor" in style
    return {
        "facecolor": style["fillColor"] if filled else "none",
        "edgecolor": style.get("color", "#555555"),
        "linewidth": 0.6 * float(style.get("weight", 1)),
        "linestyle": "--" if style.get("dashArray") else "-",
    }


def _draw_layer(ax, layer: DisplayLayer, crs: CRS, box) -> None:
    """One zone layer as the web map draws it: points as markers, lines as lines, areas filled and outlined."""
    frame = layer.frame.to_crs(crs).cx[box[0] : box[2], box[1] : box[3]]
    kw = _leaflet(layer.style)
    kinds = frame.geom_type.to_numpy(dtype=object)
    points = frame[np.isin(kinds, ["Point", "MultiPoint"])]
    lines = frame[np.isin(kinds, ["LineString", "MultiLineString"])]
    areas = frame[np.isin(kinds, ["Polygon", "MultiPolygon"])]
    if len(areas):
        if kw["facecolor"] != "none":
            areas.plot(ax=ax, facecolor=kw["facecolor"], edgecolor="none", alpha=layer.style.get("fillOpacity", 0.2))
        areas.boundary.plot(ax=ax, color=kw["edgecolor"], linewidth=kw["linewidth"], linestyle=kw["linestyle"])
    if len(lines):
        lines.plot(ax=ax, color=kw["edgecolor"], linewidth=kw["linewidth"], linestyle=kw["linestyle"])
    if len(points):
        marker = "D" if layer.style.get("symbol") == "diamond" else "o"
        points.plot(ax=ax, marker=marker, markersize=9, facecolor=kw["facecolor"], edgecolor=kw["edgecolor"],
                    linewidth=0.6, zorder=4)  # fmt: skip


def _marker(code: str, styles: dict | None = None) -> dict:
    fill, stroke, radius = (styles or DISPOSITION_STYLES)[code]
    return {
        "facecolor": "none" if fill == "transparent" else fill,
        "edgecolor": stroke,
        "size_pt": 0.9 * radius,  #: marker diameter in points
    }


def _draw_enterprises(
    ax, shown: gpd.GeoDataFrame, crs: CRS, selected: gpd.GeoDataFrame | None, styles: dict | None = None
) -> None:
    geoms = shown.geometry.to_numpy()
    located = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    points = shapely.point_on_surface(geoms[located])
    to_metric = Transformer.from_crs(R.OUTPUT_CRS, crs, always_xy=True)
    x, y = to_metric.transform(shapely.get_x(points), shapely.get_y(points))
    codes = shown[R.DISPOSITION].to_numpy(dtype=object)[located]
    styles = styles or DISPOSITION_STYLES
    for z, code in enumerate(reversed(list(styles))):  # the most severe drawn last, on top
        pick = codes == code
        if pick.any():
            m = _marker(code, styles)
            ax.scatter(
                x[pick], y[pick], s=m["size_pt"] ** 2, c=m["facecolor"], edgecolors=m["edgecolor"],
                linewidths=0.4, zorder=10 + z,
            )  # fmt: skip
    if selected is not None and len(selected):
        g = selected.geometry.to_numpy()[:1]
        if not shapely.is_missing(g[0]) and not shapely.is_empty(g[0]):
            p = shapely.point_on_surface(g)[0]
            sx, sy = to_metric.transform(p.x, p.y)
            ax.scatter([sx], [sy], s=22**2, facecolors="none", edgecolors="#111111", linewidths=1.6, zorder=30)


def nice_length_m(span_m: float) -> float:
    """A round scale-bar length up to a quarter of ``span_m``: 1, 2 or 5 times a power of ten, in metres.

    >>> nice_length_m(43_000), nice_length_m(900)
    (10000.0, 200.0)
    """
    target = max(span_m / 4, 1e-3)
    power = 10 ** math.floor(math.log10(target))
    return float(max(m for m in (1, 2, 5) if m * power <= target) * power)


def _scale_bar(ax, box) -> None:
    length = nice_length_m(box[2] - box[0])
    x0 = box[0] + (box[2] - box[0]) * 0.04
    y0 = box[1] + (box[3] - box[1]) * 0.04
    h = (box[3] - box[1]) * 0.008
    for i in range(4):
        ax.add_patch(
            Rectangle(
                (x0 + i * length / 4, y0), length / 4, h, facecolor="#000000" if i % 2 == 0 else "#FFFFFF",
                edgecolor="#000000", linewidth=0.6, zorder=40,
            )
        )  # fmt: skip
    label = f"{length / 1000:g} 千米（km）" if length >= 1000 else f"{length:g} 米（m）"
    for at, text in ((x0, "0"), (x0 + length, label)):
        ax.text(at, y0 + h * 2.2, text, ha="center" if text == "0" else "left", va="bottom", fontsize=7, zorder=40)


def _north_arrow(ax) -> None:
    ax.annotate(
        "",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.85),
        xycoords="axes fraction",
        arrowprops={"facecolor": "#000000", "edgecolor": "#000000", "width": 3, "headwidth": 10, "headlength": 10},
        zorder=40,
    )
    ax.text(0.95, 0.955, "北 N", transform=ax.transAxes, ha="center", va="bottom", fontsize=9)


def legend_entries(
    shown: gpd.GeoDataFrame, layers: Sequence[DisplayLayer], styles: dict | None = None
) -> list[tuple[object, str]]:
    """The legend's (handle, label) pairs: every disposition with its count (in the order and colours of
    ``styles``, the run's; the shipped ones when None), then each zone layer's swatch."""
    counts = shown[R.DISPOSITION].value_counts()
    out: list[tuple[object, str]] = []
    styles = styles or DISPOSITION_STYLES
    for code in styles:
        m = _marker(code, styles)
        handle = Line2D(
            [], [], linestyle="none", marker="o", markersize=m["size_pt"] * 1.6, markerfacecolor=m["facecolor"],
            markeredgecolor=m["edgecolor"], markeredgewidth=0.6,
        )  # fmt: skip
        out.append((handle, f"{DISPOSITION_ZH[code]}（{int(counts.get(code, 0)):,}）"))
    seen = set()
    for layer in layers:
        if layer.title in seen:
            continue
        seen.add(layer.title)
        kw = _leaflet(layer.style)
        kinds = set(layer.frame.geom_type)
        if layer.style.get("symbol") or (kinds and kinds <= {"Point", "MultiPoint"}):
            marker = "D" if layer.style.get("symbol") == "diamond" else "o"
            handle = Line2D([], [], linestyle="none", marker=marker, markerfacecolor=kw["facecolor"],
                            markeredgecolor=kw["edgecolor"], markersize=6)  # fmt: skip
        elif (kinds and kinds <= {"LineString", "MultiLineString"}) or kw["facecolor"] == "none":
            handle = Line2D(
                [], [], color=kw["edgecolor"], linewidth=max(kw["linewidth"], 1.0), linestyle=kw["linestyle"]
            )
        else:
            face = to_rgba(kw["facecolor"], min(1.0, layer.style.get("fillOpacity", 0.2) * 1.6))
            handle = Patch(facecolor=face, edgecolor=kw["edgecolor"], linewidth=0.8, linestyle=kw["linestyle"])
        out.append((handle, layer.title))
    return out


def data_sources(catalog: Catalog | None, run: Run) -> list[str]:
    """The data sources lines: the registry and rules of the run, and each drawn layer's source in the catalog."""
    about = run_in_words(run)
    lines = [f"名录：{about['名录']}（筛查于 {about['筛查时间']}）", f"规则：{about['规则']}"]
    if catalog is not None:
        lines.append(f"图层包：{catalog.spec.name}")
        for spec in catalog.spec.layers:
            if spec.source and spec.id in catalog.layers:
                lines.append(f"· {spec.id}：{spec.source}")
    return lines


def _wrapped(lines: Sequence[str], width: int) -> str:
    """``lines`` broken to at most ``width`` columns, a CJK character counting two."""
    out = []
    for line in lines:
        current, used = "", 0
        for char in line:
            w = 2 if unicodedata.east_asian_width(char) in "WF" else 1
            if used + w > width:
                out.append(current)
                current, used = "  ", 2
            current, used = current + char, used + w
        out.append(current)
    return "\n".join(out)


def _figure(
    run: Run,
    shown: gpd.GeoDataFrame,
    filters: Filters,
    *,
    layers: Sequence[DisplayLayer] = (),
    catalog: Catalog | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    selected: gpd.GeoDataFrame | None = None,
    now: datetime | None = None,
    font: str | None,
) -> Figure:
    """The print layout as a matplotlib Figure (see :func:`print_layout` for the parameters)."""
    rc = {
        "font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"],
        "pdf.fonttype": 42,
        "axes.unicode_minus": False,
    }
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=PAGE_IN, facecolor="white")
        stamp = illustrative_stamp(run.result.manifest)
        fig.text(0.03, 0.95, TITLE, fontsize=17, va="center")
        if stamp:
            fig.text(0.98, 0.95, f"【{stamp}】", fontsize=13, color=STAMP_RED, ha="right", va="center",
                     bbox={"edgecolor": STAMP_RED, "facecolor": "white", "linewidth": 1.2})  # fmt: skip
        counts = summary_counts(shown)
        shown_words = (
            f"企业 {counts['enterprises']:,} 家（全部 {len(run.enterprises):,}），触及标准 {counts['flagged']:,} 家"
        )
        fig.text(
            0.03, 0.905, f"筛选：{'；'.join(filters_in_words(filters))}    {shown_words}", fontsize=9.5, va="center"
        )
        box_ll = bounds or view_extent(shown, layers)
        crs = metric_crs(box_ll)
        box = _fitted(_padded(box_ll, crs), (PAGE_IN[0] * MAP_BOX[2]) / (PAGE_IN[1] * MAP_BOX[3]))
        ax = fig.add_axes(MAP_BOX)
        for layer in layers:
            _draw_layer(ax, layer, crs, box)
        _draw_enterprises(ax, shown, crs, selected, run.styles)
        ax.set_xlim(box[0], box[2])
        ax.set_ylim(box[1], box[3])  # the box has the axes' shape: one metre is as long across as up
        _scale_bar(ax, box)
        _north_arrow(ax)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel("")
        ax.set_xlabel(f"投影：{crs.name}（米）", fontsize=7, loc="right")
        if counts["no_location"]:
            ax.set_title(f"另有 {counts['no_location']:,} 家企业无有效位置，未上图", fontsize=7.5, loc="left")
        leg_ax = fig.add_axes(LEGEND_BOX)
        leg_ax.axis("off")
        handles, labels = zip(*legend_entries(shown, layers, run.styles))
        leg_ax.legend(
            handles, labels, loc="upper left", title="图例", fontsize=7.5, title_fontsize=9.5, frameon=True,
            borderaxespad=0, labelspacing=0.35, handlelength=1.8,
        )  # fmt: skip
        src_ax = fig.add_axes(SOURCES_BOX)
        src_ax.axis("off")
        src_ax.text(
            0, 1, "数据来源\n" + _wrapped(data_sources(catalog, run), 72), fontsize=6, va="top", linespacing=1.3
        )
        fig.text(
            0.03,
            0.05,
            f"制图时间：{local_time(now)}    制图：geo_screen（通政办发〔2017〕179号 综合标准筛查）",
            fontsize=8,
        )
        if stamp:
            fig.text(0.03, 0.025, f"{stamp}：本图基于示意图层，不得用于决策", fontsize=8, color=STAMP_RED)
    return fig


def print_layout(
    run: Run,
    shown: gpd.GeoDataFrame,
    filters: Filters,
    *,
    fmt: Format = "pdf",
    layers: Sequence[DisplayLayer] = (),
    catalog: Catalog | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    selected: gpd.GeoDataFrame | None = None,
    now: datetime | None = None,
) -> bytes:
    """The current view's print layout, one A4 landscape page, as PDF or PNG bytes.

    Parameters
    ----------
    run
        The prepared run (its manifest gives the sources, time and the illustrative stamp).
    shown
        The enterprises the filters keep (EPSG:4490), drawn in their disposition colours.
    filters
        The filters, stated in words under the title.
    fmt
        ``pdf`` (vector, fonts embedded) or ``png`` (:data:`PNG_DPI` dots per inch).
    layers
        The pack's layers as the web map draws them (:func:`geo_screen.app.maplayers.display_layers`).
    catalog
        The layer pack, for the data sources.
    bounds
        Lon/lat box to show; the view's extent (:func:`view_extent`) when None.
    selected
        The selected enterprise (one row), ringed.
    now
        The date printed (default: now).

    Returns
    -------
    bytes
        The file.
    """
    font = cjk_font()
    fig = _figure(
        run, shown, filters, layers=layers, catalog=catalog, bounds=bounds, selected=selected, now=now, font=font
    )
    buf = io.BytesIO()
    with matplotlib.rc_context({"pdf.fonttype": 42}), warnings.catch_warnings():
        if font is None:  # cjk_font() said it once; not once per missing glyph
            warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        fig.savefig(
            buf, format=fmt, dpi=PNG_DPI, facecolor="white", metadata={"Title": TITLE} if fmt == "pdf" else None
        )
    return buf.getvalue()


def print_downloads(
    run: Run,
    shown: gpd.GeoDataFrame,
    filters: Filters,
    *,
    layers: Sequence[DisplayLayer] = (),
    catalog: Catalog | None = None,
    selected: gpd.GeoDataFrame | None = None,
) -> list[Download]:
    """Download buttons for the print layout: PDF and PNG, each drawn when its button is pressed."""

    def make(fmt: Format):
        return lambda: print_layout(run, shown, filters, fmt=fmt, layers=layers, catalog=catalog, selected=selected)

    return [
        Download("打印版 PDF", f"{TITLE}.pdf", PDF_MIME, make("pdf")),
        Download("打印版 PNG", f"{TITLE}.png", PNG_MIME, make("png")),
    ]
