"""What the site shows, read once from the project, its state store and its data's schemas:
the pages only format these values (so the same state makes the same bytes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from aether.assets.status import AssetStatus
from aether.catalog.entries import CatalogEntry
from aether.governance.glossary import Term, read_glossary
from aether.insight.catalog_site.schema import Columns, read_columns
from aether.insight.status_report import AssetHistory, evaluate, history
from aether.pipeline.graph import Pipeline
from aether.project.context import AetherContext
from aether.state.base import CheckResult, Materialization

HEALTH_WINDOW = 30 * 24 * 3600.0
LAST_MATERIALIZATIONS = 5
RUNS_READ = 50


@dataclass(frozen=True)
class AssetFacts:
    name: str
    entry: CatalogEntry
    status: AssetStatus | None
    columns: Columns | None
    columns_from: str
    checks: tuple[CheckResult, ...]
    materializations: tuple[Materialization, ...]
    producer: str | None

    @property
    def metadata(self) -> Mapping[str, Any]:
        return self.entry.metadata

    @property
    def domain(self) -> str:
        value = self.metadata.get("domain")
        return str(value) if value else "(no domain)"


@dataclass(frozen=True)
class SiteFacts:
    assets: Mapping[str, AssetFacts]
    pipeline: Pipeline
    terms: Mapping[str, Term]
    history: Mapping[str, AssetHistory]
    as_of: float | None


def gather(ctx: AetherContext) -> SiteFacts:
    """Every catalog entry with its status, schema, checks and materializations."""
    pipeline = ctx.project_pipeline()
    catalog = ctx.catalog
    with ctx.state_store() as store:
        evaluation = evaluate(ctx, store)
        names = sorted(catalog.entries)
        heads = store.heads(names)
        recent = _recent_materializations(store)
        checks = {name: tuple(store.latest_check_results(name)) for name in names}
        recorded = {name: store.latest_columns(name) for name in names}
        transitions = store.transitions(since=None)
    as_of = _newest(transitions, heads.values(), checks.values())
    assets = {}
    for name in names:
        entry = catalog.entries[name]
        columns, source = read_columns(
            ctx.project_path,
            entry.type_name,
            entry.arguments,
            partial(catalog.get, name),  # built only for a SQL table's reflection
            recorded[name],
        )
        status = evaluation.statuses.get(name)
        assets[name] = AssetFacts(
            name=name,
            entry=entry,
            status=status,
            columns=columns,
            columns_from=source,
            checks=tuple(sorted(status.checks, key=lambda c: c.check)) if status else (),
            materializations=tuple(recent.get(name, ())),
            producer=pipeline.producers.get(name),
        )
    window = history(transitions, HEALTH_WINDOW, as_of) if as_of is not None else {}
    return SiteFacts(assets, pipeline, site_glossary(ctx), window, as_of)


def site_glossary(ctx: AetherContext) -> dict[str, Term]:
    """The project's glossary terms by name, sorted: read (and checked) as `aether validate`
    reads them."""
    found = read_glossary(ctx.config)
    return dict(sorted(found.terms.items())) if found is not None else {}


def _recent_materializations(store: Any) -> dict[str, list[Materialization]]:
    """The last few materializations of each asset, newest first, from the runs recorded."""
    found: dict[str, list[Materialization]] = {}
    for run in store.runs(limit=RUNS_READ):
        for item in store.run_materializations(run.run_id):
            kept = found.setdefault(item.asset, [])
            if len(kept) < LAST_MATERIALIZATIONS:
                kept.append(item)
    for kept in found.values():
        kept.sort(key=lambda m: (-m.finished_at, m.run_id))
    return found


def _newest(transitions: Any, heads: Any, checks: Any) -> float | None:
    """The time of the newest record: the site is "as of" it, never of the clock."""
    times = [t.at for t in transitions]
    times += [h.updated_at for h in heads]
    times += [c.checked_at for results in checks for c in results]
    return max(times) if times else None
