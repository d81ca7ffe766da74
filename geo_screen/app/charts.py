"""The counts tab's charts as Vega-Lite specs, coloured like the map.

Streamlit's ``bar_chart`` puts a stacked chart's legend beside the bars, where a half-width column cuts it
(the county chart lost its last two dispositions); these specs put the legend under the bars, in columns, never
truncated.
"""

from __future__ import annotations

import pandas as pd

#: legend under the chart, every entry shown in full (Vega-Lite truncates labels and hides symbols by default)
LEGEND = {"orient": "bottom", "direction": "horizontal", "columns": 4, "labelLimit": 0, "symbolLimit": 0, "title": None}


def county_chart_spec(table: pd.DataFrame, colours: list[str]) -> tuple[pd.DataFrame, dict]:
    """A horizontal stacked bar per county of :func:`geo_screen.app.state.county_counts`, legend underneath.

    Parameters
    ----------
    table
        Counties (index) by disposition labels (columns, most severe first).
    colours
        One colour per column (:func:`geo_screen.app.state.county_colours`).

    Returns
    -------
    (pandas.DataFrame, dict)
        The long table (county, 处置方式, 企业数, order) and the chart's spec.
    """
    county = table.index.name or "县（市、区）"
    labels = [str(c) for c in table.columns]
    long = table.rename_axis(index=county, columns="处置方式").stack().rename("企业数").reset_index()
    long = long[long["企业数"] > 0].assign(顺序=lambda d: d["处置方式"].map({v: i for i, v in enumerate(labels)}))
    spec = {
        "height": {"step": 22},
        "mark": {"type": "bar", "stroke": "#555", "strokeWidth": 0.5},
        "encoding": {
            "y": {"field": county, "type": "nominal", "title": None, "sort": list(map(str, table.index))},
            "x": {"field": "企业数", "type": "quantitative", "title": "企业数", "stack": "zero"},
            "color": {
                "field": "处置方式",
                "type": "nominal",
                "scale": {"domain": labels, "range": list(colours)},
                "legend": LEGEND,
            },
            "order": {"field": "顺序", "type": "quantitative"},
            "tooltip": [{"field": county}, {"field": "处置方式"}, {"field": "企业数"}],
        },
    }
    return long, spec
