"""The project's DAG: the union of all its pipelines, where staleness is decided.

An asset has one truth project-wide: a dataset produced by a node of *any* pipeline is never
a source, and its status does not depend on which pipeline is looked at. Pipelines may share
a node (same name, same definition); two different nodes with one name, or two producers of
one dataset, are refused. Pure graph logic, like :mod:`aether.pipeline`.

Example::

    project = union_of({"prep": prep, "report": report}, "conf/base/pipeline.yml")
    project.producers["doubled"]   # "double", even though report does not contain it
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from aether.errors import PipelineError
from aether.pipeline import Node, Pipeline

ALL_PIPELINES = "(all pipelines)"


def union_of(pipelines: Mapping[str, Pipeline], where: str = "pipeline.yml") -> Pipeline:
    """One pipeline holding every node of ``pipelines`` once (a single pipeline is itself)."""
    if len(pipelines) == 1:
        return next(iter(pipelines.values()))
    nodes: dict[str, tuple[Node, str]] = {}
    producers: dict[str, tuple[str, str]] = {}
    for pipeline_name, pipeline in pipelines.items():
        for item in pipeline.nodes:
            known = nodes.get(item.name)
            if known is not None:
                _check_same_definition(known, (item, pipeline_name), where)
                continue
            nodes[item.name] = (item, pipeline_name)
            for output in item.outputs:
                if output in producers:
                    _refuse_second_producer(output, producers[output], (item.name, pipeline_name))
                producers[output] = (item.name, pipeline_name)
    return Pipeline((item for item, _ in nodes.values()), ALL_PIPELINES)


def pipelines_of(pipelines: Mapping[str, Pipeline]) -> dict[str, list[str]]:
    """For every node name, the pipelines it belongs to (in pipeline.yml order)."""
    owners: dict[str, list[str]] = {}
    for pipeline_name, pipeline in pipelines.items():
        for item in pipeline.nodes:
            owners.setdefault(item.name, []).append(pipeline_name)
    return owners


def _check_same_definition(known: tuple[Node, str], other: tuple[Node, str], where: str) -> None:
    (first, first_pipeline), (second, second_pipeline) = known, other
    if first == second:
        return
    differs = next(
        f.name
        for f in dataclasses.fields(Node)
        if getattr(first, f.name) != getattr(second, f.name)
    )
    raise PipelineError(
        f"{where}: node '{first.name}' is defined differently in pipelines "
        f"'{first_pipeline}' and '{second_pipeline}' (they differ in `{differs}`)",
        hint="a node shared by pipelines must be identical: make both entries the same "
        "or rename one of them",
    )


def _refuse_second_producer(dataset: str, first: tuple[str, str], second: tuple[str, str]) -> None:
    raise PipelineError(
        f"Dataset '{dataset}' is produced by node '{first[0]}' (pipeline '{first[1]}') and by "
        f"node '{second[0]}' (pipeline '{second[1]}')",
        hint="each dataset has one producer across the project: rename one of the outputs",
    )
