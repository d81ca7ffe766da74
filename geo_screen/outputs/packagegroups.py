"""Which packages an export makes and what each is called: the grouping, the options and safe file names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import pandas as pd

from geo_screen import results as R
from geo_screen.errors import ExportError
from geo_screen.outputs.dbf import ENCODINGS, fit_text
from geo_screen.vocabulary import MISSING_ZH, standard_label

#: one package per county, industry or standard hit
GROUP_BY = ("county", "industry", "standard")
#: which enterprises a package holds: those with a standard hit, or all
ONLY = ("flagged", "all")
#: what a package may hold besides 字段说明.csv and README.txt: shapefiles, the checklist workbook, a GeoPackage
FORMATS = ("shp", "xlsx", "gpkg")
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
#: a package file name stem at most (UTF-8 bytes), cut at a character boundary
MAX_STEM_BYTES = 100


def safe_file_stem(value: object) -> str:
    """A file name stem safe on Windows, macOS and Linux: no separators, '..', reserved or control names.

    Examples
    --------
    >>> safe_file_stem("港闸/旧区"), safe_file_stem("CON"), safe_file_stem(None)
    ('港闸_旧区', '_CON', '未知')
    """
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    # bidi overrides (U+202E) and other invisible format characters would make a name read as another one
    text = "".join(c for c in unicodedata.normalize("NFC", text) if unicodedata.category(c) != "Cf")
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"_{2,}", "_", re.sub(r"\.{2,}", "_", re.sub(r"\s+", " ", text))).strip(" .")
    text = fit_text(text, encoding=ENCODINGS["UTF-8"], max_bytes=MAX_STEM_BYTES)[0].strip(" .")
    if not text.strip("_ "):
        return MISSING_ZH
    return "_" + text if text.split(".")[0].strip().upper() in _RESERVED else text


def unique_stems(labels: Sequence[str]) -> list[str]:
    """Safe stems for ``labels``; names equal after sanitising (ignoring case) get _2, _3, ..."""
    used, out = set(), []
    for label in labels:
        base = stem = safe_file_stem(label)
        k = 2
        while stem.casefold() in used:
            stem, k = f"{base}_{k}", k + 1
        used.add(stem.casefold())
        out.append(stem)
    return out


def group_positions(ents: pd.DataFrame, by: str) -> dict[str, np.ndarray]:
    """Group value -> row positions in ``ents``, in display order."""
    if by == "standard":
        exploded = ents[R.STANDARDS_HIT].fillna("").astype("str").reset_index(drop=True).str.split(";").explode()
        exploded = exploded[exploded.str.strip() != ""].str.strip()
        groups = {k: exploded.index[v].to_numpy() for k, v in exploded.groupby(exploded.to_numpy()).indices.items()}
        order = {s: i for i, s in enumerate(R.STANDARDS)}
        return dict(sorted(groups.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
    column = {"county": R.COUNTY, "industry": R.INDUSTRY}[by]
    if column not in ents.columns:
        raise ExportError(
            f"by={by!r}: the results have no {column!r} column; group by one of "
            f"{[b for b in GROUP_BY if b != by]} or add the column to the registry"
        )
    key = ents[column].astype("str").str.strip()
    key = key.where(key.notna() & (key != ""), MISSING_ZH).reset_index(drop=True)
    return dict(sorted(key.groupby(key.to_numpy()).indices.items()))


def pending_positions(ents: pd.DataFrame, by: str, value: str) -> np.ndarray:
    """Positions of the group's enterprises not assessed overall (whatever ``only`` is): the checklist's 待补充资料."""
    column = {"county": R.COUNTY, "industry": R.INDUSTRY}.get(by)
    if column is None or column not in ents.columns:  # by standard: they hit none
        return np.array([], dtype=np.int64)
    pending = (ents[R.DISPOSITION] == R.NOT_ASSESSED_DISPOSITION).to_numpy()
    key = ents[column].astype("str").str.strip()
    key = key.where(key.notna() & (key != ""), MISSING_ZH)
    return np.flatnonzero(pending & (key == value).to_numpy())


def group_label(by: str, value: str) -> str:
    """How a group reads in its package (``标准3`` for a standard key; a county or industry as itself)."""
    return standard_label(value) if by == "standard" else value


def checked_options(by: str, only: str, formats: Sequence[str]) -> tuple[str, ...]:
    """The export's ``formats`` as a tuple, once ``by``, ``only`` and ``formats`` are known to go together.

    Raises
    ------
    ExportError
        Naming every wrong option and what is allowed.
    """
    problems = []
    if by not in GROUP_BY:
        problems.append(f"by={by!r}; use one of {GROUP_BY}")
    if only not in ONLY:
        problems.append(f"only={only!r}; use one of {ONLY}")
    formats = tuple(formats)
    if not formats or set(formats) - set(FORMATS):
        problems.append(f"formats={formats!r}; use a non-empty subset of {FORMATS}")
    if by == "standard" and only == "all":
        problems.append(
            "by='standard' groups enterprises by the standards they hit, so only='all' has no meaning; "
            "use only='flagged'"
        )
    if problems:
        raise ExportError("cannot export packages: " + "; ".join(problems))
    return formats
