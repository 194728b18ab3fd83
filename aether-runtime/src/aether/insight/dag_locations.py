"""Where a node and a parameter are written in ``conf/``, as ``path:line`` for the DAG.

The editor jumps from a drawn node to its ``name:`` in ``pipeline.yml`` and from a parameter
to its key in ``parameters.yml``. Only positions are read here (PyYAML's node tree, no value
is built); the files were already parsed strictly when the project was loaded, so they are
well formed and hold no alias bomb. Walks are loops over the tree, never recursion.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml

# libyaml's composer when PyYAML was built with it: a 10,000-node pipeline.yml in a blink.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(path: Path) -> yaml.Node | None:
    try:
        return yaml.compose(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None  # a position is a convenience: never fail the DAG for it


def _child(node: yaml.Node | None, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    """The (key node, value node) of ``key`` in a mapping node; the last one written wins."""
    if not isinstance(node, yaml.MappingNode):
        return None
    found = None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            found = (key_node, value_node)
    return found


def node_lines(path: Path, shown: str, prefer: str | None = None) -> dict[str, str]:
    """``{node name: "conf/base/pipeline.yml:LINE"}`` of each node's ``name:`` in ``path``
    (``shown``: the path as printed). A node listed by several pipelines points at its entry
    in ``prefer`` (the pipeline drawn) when it has one, else at its first."""
    pipelines = _child(_compose(path), "pipelines")
    if pipelines is None or not isinstance(pipelines[1], yaml.MappingNode):
        return {}
    ordered = list(pipelines[1].value)
    ordered.sort(key=lambda item: item[0].value != prefer)  # stable: the drawn one first
    lines: dict[str, str] = {}
    for _, spec in ordered:
        nodes = _child(spec, "nodes")
        if nodes is None or not isinstance(nodes[1], yaml.SequenceNode):
            continue
        for entry in nodes[1].value:
            name = _child(entry, "name")
            if name is not None and isinstance(name[1], yaml.ScalarNode):
                lines.setdefault(name[1].value, f"{shown}:{name[0].start_mark.line + 1}")
    return lines


def param_locations(files: Sequence[tuple[Path, str]], keys: Iterable[str]) -> dict[str, str]:
    """``{dotted key: "conf/<env>/parameters.yml:LINE"}`` for each key found: ``a.b`` is the
    line of ``b`` under ``a``. ``files`` are the layers in merge order (base, then the
    environment's), each with its shown path; the last layer defining a key is where its
    value comes from. ``*`` (all parameters) is the file itself."""
    trees = [(_compose(path), shown) for path, shown in files]
    found: dict[str, str] = {}
    for key in keys:
        if key == "*":
            if files:
                found[key] = files[-1][1]
            continue
        for tree, shown in reversed(trees):
            line = _key_line(tree, key.split("."))
            if line is not None:
                found[key] = f"{shown}:{line}"
                break
    return found


def _key_line(tree: yaml.Node | None, parts: list[str]) -> int | None:
    node = tree
    line = None
    for part in parts:
        item = _child(node, part)
        if item is None:
            return None
        line = item[0].start_mark.line + 1
        node = item[1]
    return line
