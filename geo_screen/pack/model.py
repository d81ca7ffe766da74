"""Layer-pack catalog format: the pydantic models behind ``catalog.yaml``.

A layer pack is a folder holding ``catalog.yaml`` and the layer files it
names. This module holds the models (keys, kinds, CRS names, cross references);
:mod:`geo_screen.pack.catalogfile` turns YAML text into them, raising every
problem at once, and :mod:`geo_screen.pack.catalog` reads the files. The zone spellings a catalog's
``zone_values`` extends are :data:`geo_screen.pack.zones.ZONE_VOCABULARIES`.
"""

from __future__ import annotations

import codecs
import difflib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from geo_screen.errors import CRSError
from geo_screen.inputs.crs import InputCRS, parse_crs
from geo_screen.pack.zones import ZONE_VOCABULARIES

Kind = Literal[
    "admin_boundary",
    "ecological_redline",
    "marine_redline",
    "water_source_protection",
    "sensitive_targets",
    "riverside_belt",
    "river_line",
    "land_use_plan",
]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]
#: kinds whose features must be (multi)polygons; sensitive_targets and river_line take any geometry
POLYGON_KINDS = frozenset(KINDS) - {"sensitive_targets", "river_line"}

RASTER_SUFFIXES = frozenset({".tif", ".tiff", ".geotiff", ".img", ".vrt", ".asc"})
#: formats whose text encoding may differ from UTF-8 (DBF-based or MapInfo)
ENCODED_SUFFIXES = frozenset({".shp", ".dbf", ".zip", ".tab", ".mif"})
DEFAULT_INDUSTRIAL_CLASSES = ("M1", "M2", "M3")  # GB 50137-2011 industrial land
#: what a land-use class means for an industrial enterprise on it (``industrial_use``)
USES = ("allowed", "conditional", "prohibited")


def did_you_mean(word: object, options: list[str] | tuple[str, ...], *, template: str = "; did you mean '{}'?") -> str:
    """A difflib suggestion formatted with ``template``, or ``''`` when nothing is close."""
    close = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return template.format(close[0]) if close else ""


def _is_raster(path: str) -> bool:
    return Path(path).suffix.lower() in RASTER_SUFFIXES


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FieldMap(_Strict):
    """Canonical field -> column in the source file (``fields: {name: 名称, zone: 级别}``)."""

    name: str | None = None
    code: str | None = None
    level: str | None = None
    zone: str | None = None
    category: str | None = None
    class_: str | None = Field(None, alias="class")

    def as_dict(self) -> dict[str, str]:
        """The mapped fields only, keyed by canonical name (``class``, not ``class_``)."""
        return {k: v for k, v in self.model_dump(by_alias=True).items() if v is not None}


class LayerSpec(_Strict):
    """One entry of ``layers:``.

    Attributes
    ----------
    id, kind, path
        Required (``path`` unless the layer is derived). ``id`` is how code and results name the layer;
        ``path`` is relative to the catalog's folder (a raster suffix such as ``.tif`` makes it a raster).
    from, distance_m, industries
        riverside_belt only. ``from`` (instead of ``path``) derives the belt as every point within
        ``distance_m`` metres of the ``river_line`` layer it names (the shoreline, 岸线: e.g. 长江保护法
        art. 26's 1 km); ``industries`` (words matched inside the registry's industry) limits a belt,
        drawn or derived, to enterprises of those industries.
    layer, crs, encoding
        Layer inside a multi-layer source; CRS override or supply (EPSG code, WKT, ``gcj02``,
        ``bd09``); text encoding of a shapefile without ``.cpg`` (e.g. ``GBK``).
    fields
        Canonical field -> source column (name, code, level, zone, category, class).
    zone_values
        Source label -> canonical zone code, on top of :data:`ZONE_VOCABULARIES`.
    classes, industrial_classes, industrial_use
        land_use_plan only: raster value -> class code; the codes that are industrial land (default
        M1/M2/M3, GB 50137-2011: ``allowed``); and class code -> ``allowed`` / ``conditional`` /
        ``prohibited`` for an industrial enterprise there (e.g. ``{W: conditional, E: conditional}``). A
        ``conditional`` class is not a standard-3 hit but an issue to verify; a class listed nowhere is
        ``prohibited``.
    description, source, illustrative
        Provenance; ``illustrative: true`` marks data that is not official.
    """

    id: str = Field(pattern=r"^[\w.-]+$")
    kind: Kind
    path: str | None = Field(None, min_length=1)
    from_: str | None = Field(None, alias="from", min_length=1)
    distance_m: float | None = Field(None, gt=0)
    industries: tuple[str, ...] | None = None
    layer: str | None = None
    crs: str | None = None
    encoding: str | None = None
    fields: FieldMap = FieldMap()
    zone_values: dict[str, str] | None = None
    classes: dict[int, str] | None = None
    industrial_classes: tuple[str, ...] | None = None
    industrial_use: dict[str, str] | None = None
    description: str | None = None
    source: str | None = None
    illustrative: bool = False

    @field_validator("crs")
    @classmethod
    def _check_crs(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_crs(value, where="crs")
            except CRSError as err:
                raise ValueError(str(err).removeprefix("crs=")) from err
        return value

    @field_validator("encoding")
    @classmethod
    def _check_encoding(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError as err:
                raise ValueError(f"unknown text encoding {value!r}; use e.g. GBK, GB18030 or UTF-8") from err
        return value

    @field_validator("zone_values", mode="before")
    @classmethod
    def _stringify_keys(cls, value: Any) -> Any:
        # YAML reads `1: first` with an integer key; zone labels are matched as text.
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _cross_check(self) -> LayerSpec:
        problems = self._derivation_problems()
        raster = self.is_raster
        codes = tuple(ZONE_VOCABULARIES.get(self.kind, {}))
        if self.zone_values is not None:
            if not codes:
                problems.append(
                    f"zone_values: kind '{self.kind}' has no zones; zone_values applies to "
                    f"{', '.join(ZONE_VOCABULARIES)}; remove it"
                )
            for label, code in self.zone_values.items():
                if codes and code not in codes:
                    problems.append(
                        f"zone_values.{label}: {code!r} is not a zone of {self.kind}; "
                        f"allowed: {', '.join(codes)}{did_you_mean(code, codes)}"
                    )
        problems += self._industrial_use_problems()
        if self.kind != "land_use_plan":
            for key in ("classes", "industrial_classes", "industrial_use"):
                if getattr(self, key) is not None:
                    problems.append(f"{key}: applies to kind 'land_use_plan' only; remove it")
        if raster and self.kind != "land_use_plan":
            problems.append(
                f"path: {self.path!r} is a raster; only kind 'land_use_plan' may be a raster "
                "(zones must be polygons: convert it, e.g. with gdal_polygonize)"
            )
        if raster:
            for key in ("layer", "encoding"):
                if getattr(self, key) is not None:
                    problems.append(f"{key}: does not apply to a raster; remove it")
            if self.fields.as_dict():
                problems.append(
                    "fields: a raster has no attribute columns; remove 'fields' and map raster "
                    "values with 'classes: {1: M1, ...}'"
                )
            numeric = all(c.lstrip("-").isdigit() for c in self.industrial_classes_or_default)
            if self.kind == "land_use_plan" and self.classes is None and not numeric:
                problems.append(
                    "classes: the raster holds numbers but industrial_classes are "
                    f"{list(self.industrial_classes_or_default)}; add 'classes: {{1: M1, 2: M2, ...}}' "
                    "mapping raster values to class codes"
                )
        elif self.kind == "land_use_plan" and self.fields.class_ is None:
            problems.append(
                "fields.class: a land_use_plan made of polygons needs its class column; "
                "add 'fields: {class: <column with M1/M2/R/...>}'"
            )
        suffix = Path(self.path or "").suffix.lower()
        if self.encoding is not None and not raster and self.path and suffix not in ENCODED_SUFFIXES:
            problems.append(
                f"encoding: applies to shapefiles (.shp/.dbf) and MapInfo files; "
                f"{suffix or self.path!r} files are UTF-8 by definition; remove it"
            )
        if self.classes is not None and self.industrial_classes is not None:
            missing = [c for c in self.industrial_classes if c not in self.classes.values()]
            if missing:
                problems.append(
                    f"industrial_classes: {missing} not among the classes values "
                    f"{sorted(set(self.classes.values()))}; fix the spelling or extend 'classes'"
                )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _industrial_use_problems(self) -> list[str]:
        """``industrial_use`` values are uses, its classes exist, and it does not contradict industrial_classes."""
        problems: list[str] = []
        if self.industrial_use is None or self.kind != "land_use_plan":
            return problems
        for code, use in self.industrial_use.items():
            if use not in USES:
                problems.append(
                    f"industrial_use.{code}: {use!r} is not a use; allowed: {', '.join(USES)}{did_you_mean(use, USES)}"
                )
            elif self.industrial_classes is not None and code in self.industrial_classes and use != "allowed":
                problems.append(
                    f"industrial_use.{code}: {use!r} contradicts industrial_classes, which lists {code} as industrial "
                    "land (allowed); remove it from one of them"
                )
        if self.classes is not None:
            missing = [c for c in self.industrial_use if c not in self.classes.values()]
            if missing:
                problems.append(
                    f"industrial_use: {missing} not among the classes values {sorted(set(self.classes.values()))}; "
                    "fix the spelling or extend 'classes'"
                )
        return problems

    def _derivation_problems(self) -> list[str]:
        """``path`` XOR ``from``; ``from`` and ``distance_m`` together, on a riverside_belt; ``industries`` too."""
        problems = []
        if self.path is None and self.from_ is None:
            problems.append(
                "path: required key missing; add 'path: ...' (or, for a riverside_belt drawn from a shoreline, "
                "'from: <river_line layer id>' with 'distance_m: ...')"
            )
        if self.path is not None and self.from_ is not None:
            problems.append("from: a layer is read from 'path' or derived with 'from', not both; remove one of them")
        if self.from_ is not None and self.kind != "riverside_belt":
            problems.append(
                f"from: only a riverside_belt is derived from a line layer, not a {self.kind}; "
                "remove 'from' (and 'distance_m') or set 'kind: riverside_belt'"
            )
        if self.from_ is not None and self.distance_m is None:
            problems.append(
                f"distance_m: a belt derived from layer '{self.from_}' needs its width in metres; "
                "add 'distance_m: 1000' (长江保护法 art. 26: 1 km from the shoreline) or the plan's distance"
            )
        if self.from_ is None and self.distance_m is not None:
            problems.append(
                "distance_m: applies to a belt derived with 'from: <river_line layer id>'; remove it or add 'from'"
            )
        if self.industries is not None and self.kind != "riverside_belt":
            problems.append("industries: applies to kind 'riverside_belt' only; remove it")
        elif self.industries is not None and not [w for w in self.industries if w.strip()]:
            problems.append("industries: list at least one industry word (e.g. [化工]) or remove the key")
        if self.from_ is not None:
            for key in ("layer", "crs", "encoding"):
                if getattr(self, key) is not None:
                    problems.append(f"{key}: does not apply to a layer derived with 'from'; remove it")
            if self.fields.as_dict():
                problems.append(
                    "fields: does not apply to a layer derived with 'from' (its name is the line's); remove it"
                )
        return problems

    @property
    def derived(self) -> bool:
        """True when the layer is derived from another (``from``), not read from a file."""
        return self.from_ is not None

    @property
    def input_crs(self) -> InputCRS | None:
        """The catalog's CRS override, parsed, or ``None``."""
        return parse_crs(self.crs, where=f"layer '{self.id}' crs") if self.crs else None

    @property
    def is_raster(self) -> bool:
        """True when the layer's file is a raster (by its extension)."""
        return self.path is not None and _is_raster(self.path)

    @property
    def class_uses(self) -> dict[str, str]:
        """Land-use class -> ``allowed`` / ``conditional`` / ``prohibited`` for the classes the catalog names
        (industrial_classes, else M1/M2/M3, are allowed; ``industrial_use`` adds to or overrides them); any
        other class (those of ``classes`` are listed) is prohibited."""
        base = self.industrial_classes if self.industrial_classes is not None else DEFAULT_INDUSTRIAL_CLASSES
        named = dict.fromkeys((self.classes or {}).values(), "prohibited")
        return {**named, **dict.fromkeys(base, "allowed"), **(self.industrial_use or {})}

    @property
    def industrial_classes_or_default(self) -> tuple[str, ...]:
        """The land-use classes where industry is allowed: :attr:`class_uses` ``allowed`` (by default the
        catalog's industrial_classes, else M1/M2/M3, GB 50137-2011)."""
        return tuple(code for code, use in self.class_uses.items() if use == "allowed")

    @property
    def conditional_classes(self) -> tuple[str, ...]:
        """The land-use classes whose industrial use is ``conditional``: not a hit, an issue to verify."""
        return tuple(code for code, use in self.class_uses.items() if use == "conditional")


def catalog_problems(layers: list[Any], coverage: Any) -> list[tuple[tuple, str]]:
    """Catalog-level checks on plain values, so they also run when a layer entry is malformed.

    Returns (location, message) pairs.
    """

    def get(entry: Any, key: str) -> Any:
        return entry.get(key) if isinstance(entry, dict) else getattr(entry, "from_" if key == "from" else key, None)

    problems: list[tuple[tuple, str]] = []
    seen: dict[Any, int] = {}
    for i, entry in enumerate(layers):
        layer_id = get(entry, "id")
        if layer_id is None or not isinstance(layer_id, str | int):
            continue
        if layer_id in seen:
            problems.append(
                (
                    ("layers", i, "id"),
                    f"layers[{i}].id: duplicate layer id {layer_id!r} "
                    f"(also layers[{seen[layer_id]}]); give every layer its own id",
                )
            )
        else:
            seen[layer_id] = i
    known = [str(i) for i in seen]
    for i, entry in enumerate(layers):
        source = get(entry, "from")
        if source is None:
            continue
        if source not in seen:
            problems.append(
                (
                    ("layers", i, "from"),
                    f"layers[{i}].from: {source!r} names no layer; known ids: {', '.join(known)}"
                    f"{did_you_mean(source, known)}",
                )
            )
        elif (kind := get(layers[seen[source]], "kind")) != "river_line":
            problems.append(
                (
                    ("layers", i, "from"),
                    f"layers[{i}].from: layer {source!r} is a {kind}; a belt is derived from a river_line layer "
                    "(the shoreline, 岸线); name one",
                )
            )
    if coverage is not None and coverage not in seen:
        problems.append(
            (
                ("coverage",),
                f"coverage: {coverage!r} names no layer; known ids: {', '.join(known)}{did_you_mean(coverage, known)}",
            )
        )
    elif coverage is not None:
        entry = layers[seen[coverage]]
        kind, raster = get(entry, "kind"), _is_raster(str(get(entry, "path") or ""))
        if kind not in POLYGON_KINDS or raster:
            problems.append(
                (
                    ("coverage",),
                    f"coverage: layer {coverage!r} is a {kind}{' raster' if raster else ''}; "
                    "coverage needs a polygon layer, usually the admin_boundary layer",
                )
            )
    return problems


class CatalogSpec(_Strict):
    """The whole ``catalog.yaml``: ``name``, ``layers`` (required), ``coverage`` (id of the layer whose
    union is the pack's area), ``sanitary_distances`` (CSV with ``industry,distance_m``), provenance."""

    name: str = Field(min_length=1)
    coverage: str | None = None
    description: str | None = None
    source: str | None = None
    layers: list[LayerSpec] = Field(min_length=1)
    sanitary_distances: str | None = None

    @model_validator(mode="after")
    def _cross_check(self) -> CatalogSpec:
        problems = catalog_problems(self.layers, self.coverage)
        if problems:
            raise ValueError("\n".join(message for _, message in problems))
        return self
