"""Reading pipeline.yml: its `pipelines:` mapping, each pipeline's `nodes:` list, and the
default pipeline's name; every mistake named with where it is and how to fix it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from aether.errors import PipelineError
from aether.pipeline.graph import Pipeline
from aether.pipeline.nodes import Node, node
from aether.support.suggestions import did_you_mean

_NODE_KEYS = {
    "name", "transformation", "inputs", "outputs", "options", "tags", "code_version",
    "description", "removes_pii",
}  # fmt: skip


def parse_pipelines(raw: Mapping[str, Any], where: str) -> tuple[dict[str, Pipeline], str | None]:
    """Pipelines and the default pipeline's name from the content of pipeline.yml."""
    pipelines_raw = raw.get("pipelines")
    if not isinstance(pipelines_raw, Mapping) or not pipelines_raw:
        raise PipelineError(
            f"{where} has no `pipelines:` mapping",
            hint="declare `pipelines: {my_pipeline: {nodes: [...]}}`",
        )
    pipelines = {
        name: _parse_pipeline(str(name), spec, where) for name, spec in pipelines_raw.items()
    }
    default = raw.get("default")
    if default is None and len(pipelines) == 1:
        default = next(iter(pipelines))
    if default is not None and default not in pipelines:
        raise PipelineError(
            f"{where}: `default: {default}` names no pipeline",
            hint=f"pick one of: {', '.join(pipelines)}",
        )
    return pipelines, default


def _parse_pipeline(name: str, spec: Any, where: str) -> Pipeline:
    if isinstance(spec, list):
        spec = {"nodes": spec}
    if not isinstance(spec, Mapping) or not isinstance(spec.get("nodes"), list):
        raise PipelineError(
            f"{where}: pipeline '{name}' needs a `nodes:` list",
            hint="write `nodes: [{name: ..., transformation: ..., inputs: ..., outputs: ...}]`",
        )
    nodes = [_parse_node(entry, f"{where}, pipeline '{name}'") for entry in spec["nodes"]]
    return Pipeline(nodes, name=name, description=spec.get("description"))


def _parse_node(entry: Any, where: str) -> Node:
    if not isinstance(entry, (dict, Mapping)):
        raise PipelineError(f"{where}: each node must be a mapping, got {entry!r}")
    name = entry.get("name")
    if name is None or name == "":
        raise PipelineError(f"{where}: a node has no `name:`", hint="give every node a name")
    if not isinstance(name, str):
        raise PipelineError(
            f"{where}: node name {name!r} is not a string", hint="quote it: name: '1'"
        )
    unknown = set(entry) - _NODE_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise PipelineError(
            f"{where}, node '{name}': unknown key '{key}'",
            hint=did_you_mean(key, sorted(_NODE_KEYS)) or f"known keys: {sorted(_NODE_KEYS)}",
        )
    transformation = entry.get("transformation")
    if not isinstance(transformation, str) or "." not in transformation:
        raise PipelineError(
            f"{where}, node '{name}': `transformation:` must be a dotted path",
            hint="e.g. transformation: my_project.nodes.orders.CleanOrders",
        )
    options = entry.get("options") or {}
    if not isinstance(options, (dict, Mapping)):
        raise PipelineError(f"{where}, node '{name}': `options:` must be a mapping")
    tags = entry.get("tags") or []
    tags = [tags] if isinstance(tags, str) else tags
    result = node(
        transformation,
        entry.get("inputs"),
        entry.get("outputs"),
        name=name,
        tags=[str(t) for t in tags],
        options=options,
        code_version=_code_version(entry.get("code_version"), name, where),
    )
    if entry.get("description"):
        result = Node(**{**result.__dict__, "description": str(entry["description"])})
    removes_pii = entry.get("removes_pii", False)
    if not isinstance(removes_pii, bool):
        raise PipelineError(
            f"{where}, node '{name}': `removes_pii:` must be true or false, not {removes_pii!r}",
            hint="write `removes_pii: true` (no quotes) on a node that drops personal data",
        )
    if removes_pii:
        result = dataclasses.replace(result, removes_pii=True)
    return result


def _code_version(raw: Any, name: str, where: str) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, (dict, list)):
        raise PipelineError(
            f"{where}, node '{name}': `code_version:` must be a string or a number",
            hint="e.g. code_version: '2024-06-01' (bump it when the logic changes)",
        )
    return str(raw)
