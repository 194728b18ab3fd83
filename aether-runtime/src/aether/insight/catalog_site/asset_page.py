"""One asset's page: what it is, its schema, checks, freshness, lineage, materializations
and how to load it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aether.insight.catalog_site.facts import AssetFacts, SiteFacts
from aether.insight.catalog_site.lineage_diagram import mermaid, neighbours
from aether.insight.catalog_site.markdown import anchor, code, file_stem, table, text
from aether.insight.catalog_site.times import when
from aether.verdicts import Status

_ABOUT = ("description", "owner", "domain", "tier", "layer", "tags")


def render(asset: AssetFacts, site: SiteFacts) -> str:
    lines = [f"# {text(asset.name)}", ""]
    lines += _about(asset, site)
    lines += _schema(asset, site)
    lines += _checks(asset)
    lines += _freshness(asset)
    lines += ["## Lineage", "", *neighbours(asset.name, site), *mermaid(asset.name, site), ""]
    lines += _materializations(asset)
    lines += [
        "## How to use it",
        "",
        "```python",
        "from aether.project import load_context",
        "",
        "catalog = load_context().catalog",
        f"data = catalog.load({json.dumps(asset.name)})",
        *_older_version(asset),
        "```",
        "",
    ]
    return "\n".join(lines)


def _older_version(asset: AssetFacts) -> list[str]:
    """For a versioned dataset, how a notebook reads an older version (a run id)."""
    if asset.entry.versioned is None:
        return []
    # No id of a real version: a page is rebuilt when docs are, not when a version is pruned.
    return [
        "# an older version, by the run that made it (the ids: aether catalog versions NAME)",
        f'before = catalog.load({json.dumps(asset.name)}, version="<run id>")',
    ]


def _governance_rows(asset: AssetFacts) -> list[list[str]]:
    """Whether it holds personal data, and which versions it keeps: what a reader must know
    before using it, so shown whenever the catalog says."""
    rows = []
    pii = asset.metadata.get("pii")
    if isinstance(pii, bool):
        rows.append(["personal data (pii)", "**yes**" if pii else "no"])
    policy = asset.entry.versioned
    if policy is not None:
        kept = "every save" if policy.keep is None else f"the newest {policy.keep} saves"
        rows.append(["versions", f"{kept} (aether catalog versions {text(asset.name)})"])
    return rows


def _about(asset: AssetFacts, site: SiteFacts) -> list[str]:
    meta = asset.metadata
    rows = [[text(key), _value(meta.get(key))] for key in _ABOUT if meta.get(key) not in (None, "")]
    rows += _governance_rows(asset)
    rows.append(["type", text(asset.entry.type_name)])
    terms = _terms(meta.get("term"), site)
    if terms:
        rows.append(["terms", terms])
    return ["## About", "", *table(["field", "value"], rows)]


def _schema(asset: AssetFacts, site: SiteFacts) -> list[str]:
    described = _column_notes(asset.metadata.get("columns"))
    if asset.columns is None:
        why = text(asset.columns_from)
        if asset.producer is None:  # nothing ever saves a source: no columns are recorded
            why = "not known (a source in a format without types: Aether only reads it)"
        lines = ["## Schema", "", f"Columns: {why}.", ""]
        if described:
            rows = [[text(n), "", *_note(d, site)] for n, d in sorted(described.items())]
            lines += table(["column", "type", "description", "terms"], rows)
        return lines
    rows = [
        [text(name), text(dtype), *_note(described.get(name, {}), site)]
        for name, dtype in asset.columns
    ]
    return [
        "## Schema",
        "",
        f"Types from: {text(asset.columns_from)}.",
        "",
        *table(["column", "type", "description", "terms"], rows),
    ]


def _column_notes(columns: Any) -> dict[str, Mapping[str, Any]]:
    """``metadata.columns`` as {name: {description, term...}} (a bare string is a
    description; a list of {name: ...} is accepted too)."""
    if isinstance(columns, list):
        merged: dict[str, Any] = {}
        for item in columns:
            if isinstance(item, Mapping) and "name" in item:
                merged[str(item["name"])] = item
        columns = merged
    if not isinstance(columns, Mapping):
        return {}
    notes = {}
    for name, body in columns.items():
        notes[str(name)] = body if isinstance(body, Mapping) else {"description": body}
    return notes


def _note(body: Mapping[str, Any], site: SiteFacts) -> list[str]:
    return [text(body.get("description") or ""), _terms(body.get("term"), site)]


def _terms(value: Any, site: SiteFacts) -> str:
    names = value if isinstance(value, list) else [value] if value else []
    links = []
    for name in (str(n) for n in names):
        if name in site.terms:
            links.append(f"[{text(name)}](../glossary.md#{anchor(name)})")
        else:
            links.append(f"{text(name)} (not in the glossary)")
    return ", ".join(links)


def _checks(asset: AssetFacts) -> list[str]:
    lines = ["## Checks", ""]
    if not asset.entry.checks:
        return [*lines, "No checks.", ""]
    rows = [
        [
            text(c.check),
            text(c.severity),
            "passed" if c.passed else "**failed**",
            text(c.message),
            when(c.checked_at),
        ]
        for c in asset.checks
    ]
    pending = asset.status.checks_pending if asset.status else ()
    rows += [[text(p.label), text(p.severity), "not run yet", "", ""] for p in pending]
    if not rows:
        return [*lines, f"{len(asset.entry.checks)} configured, not run yet.", ""]
    return [*lines, *table(["check", "severity", "result", "message", "checked (UTC)"], rows)]


def _freshness(asset: AssetFacts) -> list[str]:
    lines = ["## Freshness", ""]
    sla = asset.entry.freshness or {}
    if sla:
        terms = ", ".join(f"{text(k)} {text(v)}" for k, v in sorted(sla.items()))
        lines += [f"SLA: {terms}.", ""]
    else:
        lines += ["No freshness SLA.", ""]
    status = asset.status
    if status is None:
        return [*lines, "Status: not evaluated (the asset is in no pipeline).", ""]
    verdict = f"Status: **{text(status.status.value)}**"
    if status.status is not Status.FRESH and status.reason is not None:
        verdict += f": {text(status.reason)}"
    lines += [verdict + ".", ""]
    lines += [f"- {text(w)}" for w in status.warnings]
    return [*lines, ""] if status.warnings else lines


def _materializations(asset: AssetFacts) -> list[str]:
    lines = ["## Last materializations", ""]
    if not asset.materializations:
        return [*lines, "None recorded.", ""]
    rows = [
        [when(m.finished_at), text(m.run_id), text(m.node), code(m.version[:16])]
        for m in asset.materializations
    ]
    return [*lines, *table(["finished (UTC)", "run", "node", "version"], rows)]


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(text(v) for v in value)
    return text(value)


def page_name(name: str) -> str:
    return f"assets/{file_stem(name)}.md"
