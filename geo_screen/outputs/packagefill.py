"""The fields a county fills in a package's GeoPackage (in QGIS) for ``geo-screen verify``."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_screen.vocabulary import CHECK_COLUMNS, DECISION_COLUMNS, RUN_ID_HEADER

#: the checklist's fields a county fills in a package's GeoPackage (in QGIS) for ``geo-screen verify``
GPKG_FILL_FIELDS = (*CHECK_COLUMNS[:4], *DECISION_COLUMNS)


def with_fields_to_fill(ents: gpd.GeoDataFrame, run_id: str | None) -> gpd.GeoDataFrame:
    """The enterprises with :data:`GPKG_FILL_FIELDS` added empty (text; 更正经度/纬度 numbers) and 筛查批次; a registry
    column of one of those names is kept as ``<name>（登记表）``."""
    ours = (*GPKG_FILL_FIELDS, RUN_ID_HEADER)
    out = ents.rename(columns={c: f"{c}（登记表）" for c in ents.columns if c in ours})
    numbers = DECISION_COLUMNS[-2:]
    for name in GPKG_FILL_FIELDS:
        out[name] = np.nan if name in numbers else pd.Series(None, index=out.index, dtype=object)
    out[RUN_ID_HEADER] = run_id
    return out
