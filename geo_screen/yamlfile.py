"""YAML documents read with an expansion budget: anchors and aliases may not make a small file a huge object.

PyYAML resolves an alias to the node it names, so nine levels of nine aliases (the "billion laughs"
document, a few hundred bytes) compose to a small graph that expands to 9**9 values when constructed or
walked. :func:`compose_yaml` counts the values the graph stands for, node by node (each distinct node once),
and refuses a document past :data:`MAX_EXPANDED_NODES` or whose anchor contains itself, before anything
constructs or walks it. The catalog, rules and grading-method loaders all read YAML through here.
"""

from __future__ import annotations

import yaml

from geo_screen.errors import ConfigError

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
