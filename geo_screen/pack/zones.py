"""Zone vocabularies: which spellings of a zone in a layer file mean which canonical zone of its kind.

A layer's zone column (一级保护区, 一级, 1 ...) is read through :data:`ZONE_VOCABULARIES`, extended by a catalog
entry's ``zone_values``; what matches nothing is zone ``unknown``. How a canonical zone reads in outputs is
:func:`geo_screen.vocabulary.zone_label`.
"""

from __future__ import annotations

import unicodedata

import pandas as pd

#: the zone of a feature whose label is missing or matches no spelling
UNKNOWN_ZONE = "unknown"

#: kind -> canonical zone code -> accepted source spellings (matched after :func:`normalise_token`)
ZONE_VOCABULARIES: dict[str, dict[str, tuple[str, ...]]] = {
    "water_source_protection": {
        "first": ("一级保护区", "一级", "first", "1"),
        "second": ("二级保护区", "二级", "second", "2"),
        "quasi": ("准保护区", "准", "quasi"),
    },
    "ecological_redline": {
        "first": ("一级管控区", "一级", "first", "1"),
        "second": ("二级管控区", "二级", "生态空间管控区域", "省级生态空间管控区域", "second", "2"),
        # the national ecological protection red line (2018 on) is a class of its own, not a first-level zone
        "national": ("生态保护红线", "国家级生态保护红线", "national"),
    },
    "marine_redline": {
        "prohibited": ("禁止类", "禁止开发区", "prohibited"),
        "restricted": ("限制类", "限制开发区", "restricted"),
    },
}
#: kind -> the canonical field read first for its zone (the other of zone/level is the fallback)
ZONE_FIELD = {"water_source_protection": "zone", "ecological_redline": "level", "marine_redline": "level"}
#: kinds whose screening is meaningless without a zone: a missing zone field is a report warning
ZONE_REQUIRED = frozenset({"water_source_protection"})


def normalise_token(value: object) -> str:
    """Normalise a zone label for matching: NFKC, casefold, strip; ``1.0`` reads as ``1``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).casefold().strip()


def zone_lookup(kind: str, zone_values: dict[str, str] | None = None) -> dict[str, str]:
    """Normalised source label -> canonical zone code for ``kind``; ``zone_values`` wins over built-ins."""
    table = {
        normalise_token(alias): code for code, aliases in ZONE_VOCABULARIES.get(kind, {}).items() for alias in aliases
    }
    table.update({normalise_token(k): v for k, v in (zone_values or {}).items()})
    return table


def zones_from_labels(
    labels: pd.Series,
    kind: str,
    zone_values: dict[str, str] | None = None,
) -> tuple[pd.Series, dict[str, int]]:
    """Canonical zone codes for source labels, and the count of each label that matched nothing.

    Missing labels and labels outside the vocabulary (and outside ``zone_values``) become
    ``'unknown'``; they are counted under their own text, missing ones as ``'(missing)'``.

    Examples
    --------
    >>> codes, unknown = zones_from_labels(pd.Series(["一级保护区", "准", "三级"]), "water_source_protection")
    >>> codes.tolist(), unknown
    (['first', 'quasi', 'unknown'], {'三级': 1})
    """
    lookup = zone_lookup(kind, zone_values)
    codes = {label: lookup.get(normalise_token(label), UNKNOWN_ZONE) for label in labels.dropna().unique()}
    zone = labels.map(codes).astype(object)
    zone = zone.where(zone.notna(), UNKNOWN_ZONE)
    unknown = labels[zone == UNKNOWN_ZONE].astype(object).fillna("(missing)").value_counts()
    return zone, {str(k): int(v) for k, v in unknown.items()}
