"""Reading ``catalog.yaml`` text into a :class:`~geo_screen.pack.model.CatalogSpec`, with every problem in one error.

Each line of the :class:`~geo_screen.errors.ConfigError` names the YAML line and the field path
(``layers[3].fields.zone``), what was received and how to fix it; duplicate keys (which YAML would silently
drop) are problems too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from geo_screen.errors import ConfigError, join_problems
from geo_screen.pack.model import KINDS, CatalogSpec, FieldMap, LayerSpec, catalog_problems, did_you_mean
from geo_screen.yamlfile import compose_yaml, load_yaml


def _allowed_keys(loc: tuple) -> list[str]:
    model: type[BaseModel] = CatalogSpec
    if len(loc) >= 3 and loc[0] == "layers":
        model = FieldMap if len(loc) >= 4 and loc[2] == "fields" else LayerSpec
    return [f.alias or name for name, f in model.model_fields.items()]


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        if part == "[key]":
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _node_lines(text: str, *, source: str) -> tuple[dict[tuple[str, ...], int], list[str]]:
    """YAML line (1-based) of every mapping key / sequence item, and duplicate-key problems."""
    lines: dict[tuple[str, ...], int] = {}
    duplicates: list[str] = []

    def walk(node: yaml.Node, loc: tuple[str, ...]) -> None:
        lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if key in seen:
                    where = _dotted(tuple(int(p) if p.isdigit() else p for p in loc)) or "the top level"
                    duplicates.append(
                        f"line {key_node.start_mark.line + 1}: duplicate key '{key}' in {where}; "
                        "YAML keeps only the last one; remove the other"
                    )
                seen.add(key)
                lines[loc + (key,)] = key_node.start_mark.line + 1
                walk(value_node, loc + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, loc + (str(i),))

    root = compose_yaml(text, where=source)
    if root is not None:
        walk(root, ())
    return lines, duplicates


def _line_of(loc: tuple, lines: dict[tuple[str, ...], int]) -> int | None:
    key = tuple(str(p) for p in loc if p != "[key]")
    while key and key not in lines:
        key = key[:-1]
    return lines.get(key)


def _messages(err: dict[str, Any]) -> list[tuple[tuple, str]]:
    """(location, message) pairs for one pydantic error, in the project's wording."""
    loc, kind, value = tuple(err["loc"]), err["type"], err.get("input")
    path = _dotted(loc)
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc)
        parent = _dotted(loc[:-1]) or "the top level"
        return [
            (
                loc,
                f"unknown key '{loc[-1]}' in {parent}{did_you_mean(loc[-1], allowed)} "
                f"(allowed keys: {', '.join(allowed)})",
            )
        ]
    if kind == "missing":
        return [(loc, f"{path}: required key missing; add '{loc[-1]}: ...'")]
    if kind == "literal_error" and loc[-1] == "kind":
        return [(loc, f"{path}: unknown kind {value!r}; allowed kinds: {', '.join(KINDS)}{did_you_mean(value, KINDS)}")]
    if kind == "string_pattern_mismatch" and loc[-1] == "id":
        return [(loc, f"{path}: layer id {value!r} may hold only letters, digits, '_', '.' and '-'; rename it")]
    if kind == "value_error":
        text = str(err["ctx"]["error"])
        if loc and not isinstance(loc[-1], int):  # a field validator: the message is about loc itself
            return [(loc, f"{path}: {text}")]
        pairs = []
        for line in text.split("\n"):  # a model validator: each line starts with its own sub-path
            sub = line.partition(": ")[0]
            pairs.append((loc + tuple(sub.split(".")), f"{path}.{line}" if path else line))
        return pairs
    if kind in ("model_type", "dict_type"):
        return [(loc, f"{path}: expected a mapping of 'key: value' lines, got {value!r}")]
    return [(loc, f"{path}: {err['msg'][:1].lower()}{err['msg'][1:]} (got {value!r})")]


def catalog_spec_from_text(text: str, *, source: str | Path = "catalog.yaml") -> CatalogSpec:
    """Validate catalog YAML text into a :class:`CatalogSpec`, raising one ConfigError listing every problem.

    Parameters
    ----------
    text
        The YAML document.
    source
        File name used in messages.

    Examples
    --------
    >>> spec = catalog_spec_from_text("name: t\\nlayers: [{id: a, kind: riverside_belt, path: a.gpkg}]")
    >>> spec.layers[0].kind
    'riverside_belt'
    """
    header = f"layer catalog {source} is invalid"
    try:
        raw = load_yaml(text, where=f"layer catalog {source}")
        lines, problems = _node_lines(text, source=f"layer catalog {source}")
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        reason = getattr(err, "problem", None) or str(err)
        raise ConfigError(
            f"{header}: {where}not valid YAML ({reason}); check the indentation and quoting "
            "there (values containing ':' or '#' need quotes)"
        ) from err
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{header}: expected a mapping with 'name:' and 'layers:' at the top level, "
            f"got {type(raw).__name__}; see layers/nantong/catalog.yaml for an example"
        )
    try:
        spec = CatalogSpec.model_validate(raw)
    except ValidationError as err:
        # catalog-level checks run on the raw values (they locate better and survive broken layers)
        pairs = [pair for e in err.errors() if e["loc"] != () for pair in _messages(e)]
        layers = raw.get("layers")
        if isinstance(layers, list):
            pairs += catalog_problems(layers, raw.get("coverage"))
        located = sorted(((_line_of(loc, lines) or 0, message) for loc, message in pairs), key=lambda p: p[0])
        problems += [f"line {line}: {message}" if line else message for line, message in located]
        raise ConfigError(join_problems(header, list(dict.fromkeys(problems)))) from err
    if problems:
        raise ConfigError(join_problems(header, problems))
    return spec
