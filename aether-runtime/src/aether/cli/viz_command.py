"""``aether viz``: the DAG with statuses, as JSON, Mermaid or one HTML page."""

from __future__ import annotations

import json
from pathlib import Path

from aether.cli.output import console
from aether.errors import ConfigError

FORMATS = ("json", "html", "mermaid")


def viz_command(
    project: Path | None,
    env: str | None,
    pipeline: str | None,
    fmt: str,
    output: Path | None,
    focus_on: str | None = None,
    depth: int | None = None,
) -> None:
    from aether.insight.dag_locations import node_lines, param_locations
    from aether.insight.dag_view import dag_json, focus, to_html, to_mermaid
    from aether.insight.status_report import evaluate
    from aether.project.context import load_context

    if fmt not in FORMATS:
        raise ConfigError(f"Unknown format '{fmt}'", hint=f"use one of: {', '.join(FORMATS)}")
    if depth is not None and focus_on is None:  # it would be ignored without a word
        raise ConfigError(
            "--depth only applies with --focus",
            hint="add the node to draw around, e.g. aether viz --focus clean_orders --depth 3",
        )
    depth = 2 if depth is None else depth
    if depth < 0:
        raise ConfigError(f"--depth must be 0 or more, not {depth}", hint="try --depth 2")
    ctx = load_context(project, env=env)
    # Without --pipeline: the whole project. Statuses always come from the whole project.
    selected = ctx.pipeline(pipeline) if pipeline else ctx.project_pipeline()
    ctx.project_pipeline().toposorted()  # a cycle is refused before the state is touched
    checked = sorted({name for name in selected.datasets() if name in ctx.catalog.entries})
    with ctx.state_store() as store:
        evaluation = evaluate(ctx, store)
        # Recorded results only: no dataset is loaded, no check run (nor Spark started).
        results = {
            name: store.latest_check_results(name)
            for name in checked
            if ctx.catalog.entries[name].checks
        }
    # Where the editor jumps: each node's `name:` in the pipeline.yml layer that holds the
    # pipelines, each parameter's key in the parameters.yml layer that sets it.
    pipeline_file = ctx.config.get("pipeline.yml").origins.get("pipelines")
    pipeline_lines = (
        node_lines(pipeline_file, _shown(pipeline_file, ctx.project_path), selected.name)
        if pipeline_file
        else {}
    )
    params = [(p, _shown(p, ctx.project_path)) for p in ctx.config.layer_files("parameters.yml")]
    keys = sorted({key for item in selected.nodes for key in item.param_keys})
    dag = dag_json(
        selected,
        ctx.catalog,
        evaluation.statuses,
        evaluation.nodes,
        ctx.project_path,
        project=evaluation.pipeline,
        pipeline_lines=pipeline_lines,
        param_lines=param_locations(params, keys),
        check_results=results,
    )
    if focus_on is not None:
        dag = focus(dag, focus_on, depth)
    if fmt == "json":
        text = json.dumps(dag, indent=2, sort_keys=True) + "\n"
    elif fmt == "mermaid":
        text = to_mermaid(dag)
    else:
        text = to_html(dag)
    if output is None:
        if fmt == "html":
            output = ctx.project_path / "data" / "08_reporting" / "dag.html"
        else:
            console().file.write(text)
            return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"Cannot write {output}: {exc.strerror}", hint="pick another --output path"
        ) from None
    console().print(f"Wrote {output}", markup=False)


def _shown(path: Path, root: Path) -> str:
    """``conf/base/pipeline.yml``: relative to the project when inside it."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
