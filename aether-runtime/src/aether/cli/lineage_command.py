"""``aether lineage ASSET``: where an asset comes from, or what depends on it, as a tree."""

from __future__ import annotations

from pathlib import Path

from aether.cli.output import console, print_json
from aether.lineage import LineageNode, lineage


def lineage_command(
    asset: str,
    project: Path | None,
    env: str | None,
    pipeline: str | None,
    downstream: bool,
    as_json: bool,
) -> None:
    from aether.project import load_context

    ctx = load_context(project, env=env)
    tree = lineage(ctx.pipeline(pipeline), asset, downstream=downstream)
    if as_json:
        print_json({"direction": "downstream" if downstream else "upstream", **tree.as_dict()})
        return
    from rich.tree import Tree

    def label(entry: LineageNode) -> str:
        kind = "source" if entry.name not in ctx.pipeline(pipeline).producers else "asset"
        if entry.name not in ctx.catalog.entries:
            kind = "in memory"
        via = f"  [dim]via node {entry.via}[/]" if entry.via else ""
        again = "  [dim](shown above)[/]" if entry.repeated else ""
        return f"[bold]{entry.name}[/] [dim]{kind}[/]{via}{again}"

    def grow(branch: Tree, entry: LineageNode) -> None:
        for child in entry.children:
            grow(branch.add(label(child)), child)

    root = Tree(label(tree))
    grow(root, tree)
    console().print(root)
