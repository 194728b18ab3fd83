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
    depth: int = 2,
) -> None:
    from aether.insight.dag_view import dag_json, focus, to_html, to_mermaid
    from aether.insight.status_report import evaluate
    from aether.project.context import load_context

    if fmt not in FORMATS:
        raise ConfigError(f"Unknown format '{fmt}'", hint=f"use one of: {', '.join(FORMATS)}")
    if depth < 0:
        raise ConfigError(f"--depth must be 0 or more, not {depth}", hint="try --depth 2")
    ctx = load_context(project, env=env)
    # Without --pipeline: the whole project. Statuses always come from the whole project.
    selected = ctx.pipeline(pipeline) if pipeline else ctx.project_pipeline()
    ctx.project_pipeline().toposorted()  # a cycle is refused before the state is touched
    with ctx.state_store() as store:
        evaluation = evaluate(ctx, store)
    dag = dag_json(
        selected,
        ctx.catalog,
        evaluation.statuses,
        evaluation.nodes,
        ctx.project_path,
        project=evaluation.pipeline,
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
