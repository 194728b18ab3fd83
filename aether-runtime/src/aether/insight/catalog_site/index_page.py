"""The catalog's front page: every asset, grouped by domain (Material's search indexes it)."""

from __future__ import annotations

from itertools import groupby

from aether.insight.catalog_site.asset_page import page_name
from aether.insight.catalog_site.facts import SiteFacts
from aether.insight.catalog_site.markdown import table, text


def render(site: SiteFacts) -> str:
    lines = [
        "# Data catalog",
        "",
        f"{len(site.assets)} datasets. See also the [glossary](glossary.md) and the "
        "[health of the data](health.md).",
        "",
    ]
    assets = sorted(site.assets.values(), key=lambda a: (a.domain, a.name))
    for domain, members in groupby(assets, key=lambda a: a.domain):
        rows = []
        for asset in members:
            status = asset.status.status.value if asset.status else "not in a pipeline"
            rows.append(
                [
                    f"[{text(asset.name)}]({page_name(asset.name)})",
                    text(asset.metadata.get("owner") or ""),
                    text(asset.metadata.get("description") or ""),
                    text(status),
                ]
            )
        lines += [
            f"## {text(domain)}",
            "",
            *table(["dataset", "owner", "description", "status"], rows),
        ]
    return "\n".join(lines)
