"""``run_pipeline``: load a project, select nodes, validate, plan and run — the whole of a run.

This is the library entry point behind ``aether run``; it returns data and raises
AetherErrors, and never prints.
"""

from __future__ import annotations

import logging
import logging.config
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from aether.errors import PipelineError
from aether.orchestrator import (
    Orchestrator,
    Plan,
    RunReporter,
    RunResult,
    check_selection,
    plan_all,
    validate_pipeline,
)
from aether.pipeline import Pipeline
from aether.project import AetherContext, check_parameters, load_context, read_logging_config
from aether.runners import create_runner


def run_pipeline(
    project_path: str | Path | None = None,
    pipeline: str | None = None,
    *,
    env: str | None = None,
    params: Mapping[str, Any] | None = None,
    runner: str = "sequential",
    max_workers: int | None = None,
    nodes: Iterable[str] = (),
    from_nodes: Iterable[str] = (),
    to_nodes: Iterable[str] = (),
    tags: Iterable[str] = (),
    force: bool = False,
    dry_run: bool = False,
    reporter: RunReporter | None = None,
    context: AetherContext | None = None,
) -> RunResult | Plan:
    """Run a project's pipeline; returns a :class:`RunResult` (or the :class:`Plan` if dry).

    ``params`` overrides parameters by dotted key, as ``--params`` does::

        result = run_pipeline("path/to/project", "orders", params={"cleaning.min_amount": 10})
        assert result.succeeded
    """
    ctx = context or load_context(project_path, env=env, params=params)
    full = ctx.pipeline(pipeline)
    selected = select_nodes(full, nodes=nodes, from_nodes=from_nodes, to_nodes=to_nodes, tags=tags)
    check_parameters(selected, ctx.params)
    validate_pipeline(full, ctx.catalog)
    check_selection(selected, full, ctx.catalog)
    plan = plan_all(selected, "forced" if force else "run requested")
    if dry_run:
        return plan
    configure_logging(ctx)
    orchestrator = Orchestrator(
        ctx.catalog,
        ctx.params,
        runner=create_runner(runner, max_workers),
        reporter=reporter,
    )
    return orchestrator.run(plan, ctx.run_id)


def select_nodes(
    pipeline: Pipeline,
    *,
    nodes: Iterable[str] = (),
    from_nodes: Iterable[str] = (),
    to_nodes: Iterable[str] = (),
    tags: Iterable[str] = (),
) -> Pipeline:
    """The nodes that pass every given filter (filters intersect, as in Kedro)."""
    selections = []
    if nodes := list(nodes):
        selections.append(pipeline.only_nodes(nodes))
    if from_nodes := list(from_nodes):
        selections.append(pipeline.from_nodes(from_nodes))
    if to_nodes := list(to_nodes):
        selections.append(pipeline.to_nodes(to_nodes))
    if tags := list(tags):
        selections.append(pipeline.only_tags(tags))
    if not selections:
        return pipeline
    keep = set.intersection(*({n.name for n in s.nodes} for s in selections))
    if not keep:
        raise PipelineError(
            f"No node of pipeline '{pipeline.name}' matches all of the given filters",
            hint="filters intersect: loosen --nodes/--from-nodes/--to-nodes/--tags",
        )
    return pipeline.only_nodes(keep)


def configure_logging(ctx: AetherContext) -> None:
    """Apply conf/<env>/logging.yml if the project has one; else a plain default."""
    config = read_logging_config(ctx.config)
    if config:
        logging.config.dictConfig(config)
    elif not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
