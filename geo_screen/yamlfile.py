"""YAML documents read with an expansion budget: anchors and aliases may not make a small file a huge object.

PyYAML resolves an alias to the node it names, so nine levels of nine aliases (the "billion laughs"
document, a few hundred bytes) compose to a small graph that expands to 9**9 values when constructed or
walked. :func:`compose_yaml` counts the values the graph stands for, node by node (each distinct node once),
and refuses a document past :data:`MAX_EXPANDED_NODES` or whose anchor contains itself, before anything
constructs or walks it. The catalog, rules and grading-method loaders all read YAML through here;
:func:`load_model` reads a small settings file into its pydantic model.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from geo_screen.errors import ConfigError

ModelT = TypeVar("ModelT", bound=BaseModel)

#: values (scalars, lists, mappings) a document may expand to; the shipped rules file has about 1,500
MAX_EXPANDED_NODES = 200_000
#: characters a configuration file may have
MAX_TEXT_CHARS = 8 << 20


def compose_yaml(text: str, *, where: str) -> yaml.Node | None:
    """The node graph of a one-document YAML text, checked against the expansion budget.

    Parameters
    ----------
    text
        The document.
    where
        The file, as messages name it.

    Raises
    ------
    ConfigError
        When the text is too long, its aliases expand past the budget, or an anchor contains itself.
    yaml.YAMLError
        When the text is not YAML (callers say where).
    """
    return _composed(text, where)[0]


def load_yaml(text: str, *, where: str) -> object:
    """The Python value of a one-document YAML text (safe types only), after the budget check of
    :func:`compose_yaml`.

    Examples
    --------
    >>> load_yaml("a: &x [1, 2]\\nb: *x", where="t.yaml")
    {'a': [1, 2], 'b': [1, 2]}
    """
    node, loader = _composed(text, where)
    try:
        return None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


def load_model(path: str | Path, model: type[ModelT], *, what: str, missing: str) -> ModelT:
    """A YAML settings file read into ``model``: every wrong, missing or unknown field in one message.

    Parameters
    ----------
    path
        The file.
    model
        The pydantic model it must satisfy (an empty file is an empty mapping).
    what
        How messages name the file (``"publication file"``).
    missing
        How to fix a file that does not exist (``"copy ... and fill it in"``).

    Raises
    ------
    ConfigError
        When the file does not exist, is not YAML (or not a mapping), or does not satisfy ``model``: each bad
        field with its path, what is wrong and the value found, then the keys the file may hold.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"{what} {file} does not exist; {missing}")
    try:
        data = load_yaml(file.read_text("utf-8"), where=f"{what} {file}")
    except yaml.YAMLError as err:
        raise ConfigError(f"{what} {file} is not valid YAML: {err}") from err
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ConfigError(f"{what} {file}: expected a mapping with the keys {', '.join(model.model_fields)}")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(_problem(e) for e in err.errors())
        allowed = ", ".join(model.model_fields)
        raise ConfigError(f"{what} {file} is invalid: {problems}; allowed keys: {allowed}") from err


def _problem(error: dict) -> str:
    """One validation error as ``field.path: what is wrong (found VALUE)``; a whole mapping found is not quoted."""
    where = ".".join(str(p) for p in error["loc"]) or "(top)"
    found = error.get("input")
    shown = "" if isinstance(found, (dict, list)) else f" (found {found!r})"
    return f"{where}: {error['msg'].removeprefix('Value error, ')}{shown}"


def _composed(text: str, where: str) -> tuple[yaml.Node | None, yaml.SafeLoader]:
    if len(text) > MAX_TEXT_CHARS:
        raise ConfigError(
            f"{where} has {len(text):,} characters (limit {MAX_TEXT_CHARS:,}); a configuration file is a few "
            "kilobytes: check that the right file was passed"
        )
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except BaseException:
        loader.dispose()
        raise
    if node is not None:
        _check_expansion(node, where)
    return node, loader


def _check_expansion(root: yaml.Node, where: str) -> None:
    """Count the values ``root`` expands to, each distinct node's size computed once (iteratively)."""
    size: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            open_nodes.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            if size[key] > MAX_EXPANDED_NODES:
                raise ConfigError(
                    f"{where}: its anchors (&) and aliases (*) expand to more than {MAX_EXPANDED_NODES:,} values "
                    f"(line {node.start_mark.line + 1}); a configuration file needs no such nesting: write the "
                    "values out, or use fewer levels of aliases"
                )
            continue
        if key in size:
            continue
        if key in open_nodes:
            raise ConfigError(
                f"{where}, line {node.start_mark.line + 1}: an anchor refers to itself (an alias inside the value "
                "it names), which expands without end; remove that alias"
            )
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in size)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
