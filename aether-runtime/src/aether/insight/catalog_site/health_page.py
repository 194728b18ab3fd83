"""The health page: per domain, assets fresh / stale / failed / missing, incidents and data
downtime over 30 days (``status_report.history``, what ``aether status --history`` shows),
and check coverage."""

from __future__ import annotations

from itertools import groupby

from aether.insight.catalog_site.facts import HEALTH_WINDOW, SiteFacts
from aether.insight.catalog_site.markdown import table, text
from aether.insight.catalog_site.times import duration, when
from aether.verdicts import Status

_COUNTED = (Status.FRESH, Status.STALE, Status.FAILED, Status.MISSING)


def render(site: SiteFacts) -> str:
    days = int(HEALTH_WINDOW // 86400)
    window = (
        f"As of the newest record in the state store: {when(site.as_of)} (UTC). Incidents and "
        f"downtime over the {days} days before it"
        if site.as_of is not None
        else "There is no run recorded yet: incidents and downtime count from the first one"
    )
    lines = [
        "# Health of the data",
        "",
        f"{window}; downtime is time spent missing, failed or overdue.",
        "",
    ]
    rows = []
    assets = sorted(site.assets.values(), key=lambda a: (a.domain, a.name))
    for domain, grouped in groupby(assets, key=lambda a: a.domain):
        members = list(grouped)
        counts = {s: sum(1 for a in members if a.status and a.status.status is s) for s in _COUNTED}
        records = [site.history[a.name] for a in members if a.name in site.history]
        incidents = sum(len(r.incidents) for r in records)
        downtime = sum(r.downtime for r in records)
        checked = sum(1 for a in members if a.entry.checks)
        rows.append(
            [
                text(domain),
                *(str(counts[s]) for s in _COUNTED),
                str(incidents),
                duration(downtime) if downtime else "0s",
                f"{checked}/{len(members)}",
            ]
        )
    header = ["domain", *(s.value for s in _COUNTED), "incidents", "downtime", "check coverage"]
    return "\n".join([*lines, *table(header, rows)])
