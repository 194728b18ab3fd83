"""An asset's upstream and downstream as a Mermaid flowchart, walked on the project's graph
(``Pipeline.upstream_of`` / ``downstream_of``); names only ever appear as quoted labels."""

from __future__ import annotations

import html

from aether.insight.catalog_site.facts import SiteFacts
from aether.insight.catalog_site.markdown import file_stem, mermaid_id, mermaid_label, text


def related(asset: str, site: SiteFacts) -> set[str]:
    """The datasets upstream and downstream of ``asset``, itself included."""
    pipeline = site.pipeline
    nodes: set[str] = set()
    producer = pipeline.producers.get(asset)
    if producer is not None:
        nodes |= {producer} | pipeline.upstream_of([producer])
    readers = {n.name for n in pipeline.nodes if asset in n.dataset_inputs}
    nodes |= readers | (pipeline.downstream_of(readers) if readers else set())
    names = {asset}
    for name in nodes:
        node = pipeline.node(name)
        names |= set(node.dataset_inputs) | set(node.outputs)
    # Only the datasets on a path through the asset: a downstream node's other inputs are
    # shown, as what it also reads.
    return names


def mermaid(asset: str, site: SiteFacts) -> list[str]:
    pipeline = site.pipeline
    names = sorted(related(asset, site))
    if names == [asset]:
        return ["No upstream or downstream datasets.", ""]
    ids = {name: mermaid_id(i) for i, name in enumerate(names)}
    lines = ["flowchart LR"]
    for name in names:
        lines.append(f"    {ids[name]}[{mermaid_label(name)}]")
    edges = set()
    for node in pipeline.nodes:
        for source in node.dataset_inputs:
            for target in node.outputs:
                if source in ids and target in ids:
                    edges.add((ids[source], ids[target]))
    lines += [f"    {a} --> {b}" for a, b in sorted(edges)]
    lines.append(f"    style {ids[asset]} stroke-width:3px")
    # What pymdownx.superfences' mermaid fence makes, written out: Material for MkDocs draws
    # it with no configuration in the project's mkdocs.yml (elsewhere it shows as text).
    body = html.escape("\n".join(lines), quote=False)
    return [f'<pre class="mermaid"><code>{body}</code></pre>', ""]


def neighbours(asset: str, site: SiteFacts) -> list[str]:
    """The datasets ``asset`` is made from and the ones made from it, as links to their
    pages: what the diagram shows one step away, clickable, and readable where Mermaid's
    script cannot load (a site browsed offline shows the diagram as text)."""
    pipeline = site.pipeline
    producer = pipeline.producers.get(asset)
    upstream = sorted(set(pipeline.node(producer).dataset_inputs)) if producer else []
    downstream = sorted(
        {out for n in pipeline.nodes if asset in n.dataset_inputs for out in n.outputs}
    )
    lines = []
    if upstream:
        lines.append(f"Made from: {', '.join(_link(name, site) for name in upstream)}.")
    if downstream:
        lines.append(f"Used to make: {', '.join(_link(name, site) for name in downstream)}.")
    return [" ".join(lines), ""] if lines else []


def _link(name: str, site: SiteFacts) -> str:
    # Asset pages sit side by side in assets/: a dataset without a page is named only.
    return f"[{text(name)}]({file_stem(name)}.md)" if name in site.assets else text(name)
