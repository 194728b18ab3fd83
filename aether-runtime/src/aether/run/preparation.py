"""Preparing a run: the project loaded (or a context taken), the nodes selected
(`Selection`, `select_nodes`) and validated, before any state is touched (`RunSetup`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aether.alerts import read_webhook
from aether.engine.validation import check_locations, check_selection, validate_pipeline
from aether.errors import PipelineError
from aether.lineage.config import read_lineage
from aether.pipeline import Pipeline
from aether.project.context import AetherContext, check_parameters, load_context


@dataclass(frozen=True)
class Selection:
    """Which nodes of a pipeline to run: every given filter must hold (they intersect).

    An empty selection (the default) selects every node.

    Attributes:
        nodes: These nodes only.
        from_nodes: These nodes and everything downstream of them.
        to_nodes: These nodes and everything upstream of them.
        tags: The nodes that have one of these tags.
    """

    nodes: tuple[str, ...] = ()
    from_nodes: tuple[str, ...] = ()
    to_nodes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunSetup:
    """A loaded, validated run, as [`prepare_run()`][aether.run.preparation.prepare_run] returns it.

    Attributes:
        ctx: The project's context.
        home: The pipeline named for the run (or the default one).
        selected: The nodes of `home` the selection chose.
        project: The union of every pipeline, on which staleness is decided.
    """

    ctx: AetherContext
    home: Pipeline
    selected: Pipeline
    project: Pipeline


def prepare_run(
    project_path: str | Path | None = None,
    pipeline: str | None = None,
    *,
    env: str | None = None,
    params: Mapping[str, Any] | None = None,
    selection: Selection = Selection(),
    context: AetherContext | None = None,
) -> RunSetup:
    """Load the project (or take `context`), select the nodes and validate them.

    A bad pipeline, catalog or selection is refused here, before any state is touched.

    Args:
        project_path: The project folder; None looks upward from the current directory.
        pipeline: The pipeline to run; None runs the default one.
        env: The configuration environment (default: `AETHER_ENV`, else `local`).
        params: Parameter overrides by dotted key, as `--params` gives them.
        selection: Which nodes of the pipeline to run (default: all).
        context: An already loaded context; `project_path`, `env` and `params` are then
            ignored.

    Returns:
        The loaded, validated run, for `dry_run()` or `execute_run()`.

    Raises:
        AetherError: The project, its configuration or the selection is wrong (a
            `ConfigError`, `CatalogError` or `PipelineError`).
    """
    ctx = context or load_context(project_path, env=env, params=params)
    home = ctx.pipeline(pipeline)
    project = ctx.project_pipeline()  # staleness is decided on every pipeline at once
    selected = select_nodes(
        home,
        nodes=selection.nodes,
        from_nodes=selection.from_nodes,
        to_nodes=selection.to_nodes,
        tags=selection.tags,
    )
    check_parameters(selected, ctx.params)
    # Transformations are imported only for the nodes that will run (after planning), so a
    # run with nothing to do never pays for importing pandas and the project's code.
    validate_pipeline(project, ctx.catalog, import_code=False)
    check_locations(ctx.catalog, ctx.pipelines.values())  # every pipeline's writers count
    check_selection(selected, home, ctx.catalog)
    # Alerts are sent once the nodes have run: a broken alerts.yml is refused before.
    read_webhook(ctx.config)
    read_lineage(ctx.config)  # and lineage events from the first node on
    return RunSetup(ctx, home, selected, project)


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
