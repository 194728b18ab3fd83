"""Lineage of an asset: the datasets and nodes it comes from, or that depend on it.

Derived from pipeline.yml alone (plus the catalog for metadata): nothing to declare.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aether.errors import PipelineError
from aether.pipeline import Pipeline


@dataclass
class LineageNode:
    """A dataset in the lineage tree; ``via`` is the node linking it to its parent entry."""

    name: str
    via: str | None = None
    children: list[LineageNode] = field(default_factory=list)
    repeated: bool = False  # already shown elsewhere in the tree

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"dataset": self.name}
        if self.via:
            data["node"] = self.via
        if self.repeated:
            data["repeated"] = True
        if self.children:
            data["children"] = [child.as_dict() for child in self.children]
        return data


def lineage(pipeline: Pipeline, asset: str, *, downstream: bool = False) -> LineageNode:
    """The upstream (default) or downstream tree of ``asset``."""
    if asset not in pipeline.datasets():
        import difflib

        close = difflib.get_close_matches(asset, sorted(pipeline.datasets()), n=1)
        raise PipelineError(
            f"Pipeline '{pipeline.name}' has no dataset '{asset}'",
            hint=f"did you mean '{close[0]}'?" if close else "list them: aether catalog list",
        )
    consumers: dict[str, list[tuple[str, str]]] = {}
    for item in pipeline.nodes:
        for name in item.dataset_inputs:
            consumers.setdefault(name, []).extend((item.name, out) for out in item.outputs)
    seen: set[str] = set()

    def expand(name: str, via: str | None) -> LineageNode:
        entry = LineageNode(name, via)
        if name in seen:
            entry.repeated = True
            return entry
        seen.add(name)
        if downstream:
            links = sorted(consumers.get(name, []))
        else:
            producer = pipeline.producers.get(name)
            links = (
                [(producer, parent) for parent in pipeline.node(producer).dataset_inputs]
                if producer
                else []
            )
        entry.children = [expand(child, node_name) for node_name, child in links]
        return entry

    return expand(asset, None)
