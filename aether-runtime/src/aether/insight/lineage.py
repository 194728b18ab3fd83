"""Lineage of an asset: the datasets and nodes it comes from, or that depend on it.

Derived from pipeline.yml alone (plus the catalog for metadata): nothing to declare. What
belongs to the lineage is found by the pipeline's own walks (``Pipeline.upstream_of`` and
``downstream_of``); the tree of those nodes alone is then laid out (depth first, a dataset
reached again marked ``repeated``) and serialised by loops, never by recursion, so a chain
of 100,000 nodes works; ``max_depth`` cuts what is shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aether.errors import PipelineError
from aether.pipeline import Pipeline
from aether.support.suggestions import did_you_mean


@dataclass
class LineageNode:
    """A dataset in the lineage tree; ``via`` is the node linking it to its parent entry."""

    name: str
    via: str | None = None
    children: list[LineageNode] = field(default_factory=list)
    repeated: bool = False  # already shown elsewhere in the tree
    truncated: bool = False  # it has links below ``max_depth``, not shown

    def as_dict(self) -> dict[str, Any]:
        root: dict[str, Any] = {}
        stack: list[tuple[LineageNode, dict[str, Any]]] = [(self, root)]
        while stack:
            entry, data = stack.pop()
            data["dataset"] = entry.name
            if entry.via:
                data["node"] = entry.via
            if entry.repeated:
                data["repeated"] = True
            if entry.truncated:
                data["truncated"] = True
            if entry.children:
                data["children"] = [{} for _ in entry.children]
                stack.extend(zip(entry.children, data["children"], strict=True))
        return root

    def to_json(self) -> str:
        """Compact JSON of :meth:`as_dict`, written by a loop: ``json`` itself recurses per
        level, so it cannot encode a tree 100,000 levels deep."""
        parts: list[str] = []
        stack: list[LineageNode | str] = [self]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                parts.append(item)
                continue
            head = json.dumps(
                LineageNode(item.name, item.via, [], item.repeated, item.truncated).as_dict(),
                sort_keys=True,
            )
            if not item.children:
                parts.append(head)
                continue
            parts.append(head[:-1] + ', "children": [')
            stack.append("]}")
            for index in reversed(range(len(item.children))):
                stack.append(item.children[index])
                if index:
                    stack.append(", ")
        return "".join(parts)

    def depth(self) -> int:
        """How many levels lie below this entry."""
        return max(level for level, _ in self.walk())

    def walk(self) -> list[tuple[int, LineageNode]]:
        """Every entry with its depth (0 for the root), in display order."""
        found: list[tuple[int, LineageNode]] = []
        stack: list[tuple[int, LineageNode]] = [(0, self)]
        while stack:
            depth, entry = stack.pop()
            found.append((depth, entry))
            stack.extend((depth + 1, child) for child in reversed(entry.children))
        return found


def lineage(
    pipeline: Pipeline, asset: str, *, downstream: bool = False, max_depth: int | None = None
) -> LineageNode:
    """The upstream (default) or downstream tree of ``asset``, cut below ``max_depth``."""
    if asset not in pipeline.datasets():
        raise PipelineError(
            f"Pipeline '{pipeline.name}' has no dataset '{asset}'",
            hint=did_you_mean(asset, sorted(pipeline.datasets()))
            or "list them: aether catalog list",
        )
    links = _consumers(pipeline, asset) if downstream else _producers(pipeline, asset)
    root = LineageNode(asset)
    seen: set[str] = set()
    stack: list[tuple[int, LineageNode]] = [(0, root)]
    # Laid out depth first, children in order (the order a recursion would give): a dataset
    # is expanded where it first shows, which a walk of the graph alone does not tell.
    while stack:
        depth, entry = stack.pop()
        if entry.name in seen:
            entry.repeated = True
            continue
        seen.add(entry.name)
        found = links.get(entry.name, [])
        if max_depth is not None and depth >= max_depth:
            entry.truncated = bool(found)
            continue
        entry.children = [LineageNode(child, via) for via, child in found]
        stack.extend((depth + 1, child) for child in reversed(entry.children))
    return root


def _consumers(pipeline: Pipeline, asset: str) -> dict[str, list[tuple[str, str]]]:
    """Each dataset downstream of ``asset`` -> (consumer node, its output), sorted."""
    first = [item.name for item in pipeline.nodes if asset in item.dataset_inputs]
    reached = set(first) | pipeline.downstream_of(first)
    consumers: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(reached):
        item = pipeline.node(name)
        for dataset in item.dataset_inputs:
            consumers.setdefault(dataset, []).extend((item.name, out) for out in item.outputs)
    return {name: sorted(links) for name, links in consumers.items()}


def _producers(pipeline: Pipeline, asset: str) -> dict[str, list[tuple[str, str]]]:
    """Each dataset upstream of ``asset`` (itself included) -> (its producer, an input)."""
    producer = pipeline.producers.get(asset)
    if producer is None:
        return {}
    links: dict[str, list[tuple[str, str]]] = {}
    for name in {producer} | pipeline.upstream_of([producer]):
        item = pipeline.node(name)
        for output in item.outputs:
            links[output] = [(name, parent) for parent in item.dataset_inputs]
    return links
