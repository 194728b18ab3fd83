"""The glossary page (``conf/base/glossary.yml``), each term with an anchor asset pages link
to, and the assets that use it."""

from __future__ import annotations

import html

from aether.insight.catalog_site.asset_page import page_name
from aether.insight.catalog_site.facts import SiteFacts
from aether.insight.catalog_site.markdown import anchor, text


def render(site: SiteFacts) -> str:
    lines = ["# Glossary", ""]
    if not site.terms:
        return "\n".join([*lines, "No terms yet: add them to `conf/base/glossary.yml`.", ""])
    users = _users(site)
    for term in site.terms.values():
        lines += [
            f'<h2 id="{anchor(term.name)}">{html.escape(" ".join(term.name.split()))}</h2>',
            "",
        ]
        lines += [text(term.definition) or "(no definition)", ""]
        if term.owner:
            lines += [f"- Owner: {text(term.owner)}"]
        if term.synonyms:
            lines += [f"- Synonyms: {', '.join(text(s) for s in term.synonyms)}"]
        used = users.get(term.name, [])
        if used:
            links = ", ".join(f"[{text(n)}]({page_name(n)})" for n in used)
            lines += [f"- Used by: {links}"]
        lines.append("")
    return "\n".join(lines)


def _users(site: SiteFacts) -> dict[str, list[str]]:
    """The assets (their own term or a column's) that use each term."""
    found: dict[str, set[str]] = {}
    for asset in site.assets.values():
        meta = asset.metadata
        values = [meta.get("term")]
        columns = meta.get("columns")
        if isinstance(columns, dict):
            values += [c.get("term") for c in columns.values() if isinstance(c, dict)]
        elif isinstance(columns, list):
            values += [c.get("term") for c in columns if isinstance(c, dict)]
        for value in values:
            for name in value if isinstance(value, list) else [value] if value else []:
                found.setdefault(str(name), set()).add(asset.name)
    return {term: sorted(names) for term, names in found.items()}
