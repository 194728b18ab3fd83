"""``aether lineage ASSET``: where an asset comes from, or what depends on it, as a tree."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from aether.cli.output import console, print_json
from aether.errors import PipelineError
from aether.insight.lineage import LineageNode, lineage

if TYPE_CHECKING:
    from aether.pipeline import Pipeline
    from aether.project.context import AetherContext

PRETTY_JSON_DEPTH = 100


def lineage_command(
    asset: str,
    project: Path | None,
    env: str | None,
    pipeline: str | None,
    downstream: bool,
    as_json: bool,
    depth: int | None = None,
) -> None:
    from aether.project.context import load_context

    ctx = load_context(project, env=env)
    whole = ctx.project_pipeline()
    tree = _tree(ctx, whole, asset, pipeline, downstream, depth)
    direction = "downstream" if downstream else "upstream"
    if as_json and tree.depth() > PRETTY_JSON_DEPTH:
        # Indented JSON grows with the square of the depth: a deep tree is printed compact.
        sys.stdout.write(f'{{"direction": "{direction}", {tree.to_json()[1:]}\n')
        return
    if as_json:
        print_json({"direction": direction, **tree.as_dict()})
        return
    from rich.tree import Tree

    def label(entry: LineageNode) -> str:
        kind = "source" if entry.name not in whole.producers else "asset"
        if entry.name not in ctx.catalog.entries:
            kind = "in memory"
        via = f"  [dim]via node {entry.via}[/]" if entry.via else ""
        again = "  [dim](shown above)[/]" if entry.repeated else ""
        cut = (
            f"  [dim](deeper levels cut: aether lineage {entry.name})[/]" if entry.truncated else ""
        )
        return f"[bold]{entry.name}[/] [dim]{kind}[/]{via}{again}{cut}"

    branches: dict[int, Tree] = {}
    root = Tree(label(tree))
    branches[id(tree)] = root
    for _, entry in tree.walk():  # parents come before their children
        for child in entry.children:
            branches[id(child)] = branches[id(entry)].add(label(child))
    console().print(root)


def _tree(
    ctx: AetherContext,
    whole: Pipeline,
    asset: str,
    pipeline: str | None,
    downstream: bool,
    depth: int | None,
) -> LineageNode:
    """The lineage of ``asset`` across every pipeline (``pipeline``, if given, must hold it)."""
    if pipeline is not None:  # the asset must be in it; the tree spans every pipeline
        try:
            lineage(ctx.pipeline(pipeline), asset, max_depth=0)
        except PipelineError as error:
            if asset in whole.datasets():
                error.hint = (
                    f"'{asset}' is another pipeline's: drop --pipeline, lineage follows "
                    "every pipeline"
                )
            raise
    try:
        return lineage(whole, asset, downstream=downstream, max_depth=depth)
    except PipelineError as error:
        if len(ctx.pipelines) > 1:  # not "Pipeline '(all pipelines)' has no dataset"
            error.message = f"No pipeline reads or writes a dataset '{asset}'"
        raise
