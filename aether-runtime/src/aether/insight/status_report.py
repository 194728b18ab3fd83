"""Asset status, history and downtime for a project: the library side of ``aether status``.

Status needs no lock and imports no user transformation: it reads the state store and the
physical signatures of the data (hashing only what changed).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aether.assets.evaluation import EvaluationCache, ProjectView, record_observations
from aether.assets.evaluation import evaluate as evaluate_project
from aether.assets.memo import EvaluationMemo
from aether.assets.status import AssetStatus, Evaluation
from aether.errors import StateNotWritableError
from aether.project.context import AetherContext
from aether.state.base import StateStore, Transition
from aether.support.durations import format_age
from aether.verdicts import ReasonKind, Status

logger = logging.getLogger("aether.status")

DOWN_STATUSES = (Status.MISSING, Status.FAILED)


def evaluate(
    ctx: AetherContext,
    store: StateStore,
    *,
    record: bool = False,
    reobserve: bool = False,
    memo: EvaluationMemo | None = None,
) -> Evaluation:
    """Every asset of the project evaluated on the union of its pipelines (one truth);
    ``record``: store what was newly seen of sources (their data time starts then);
    ``reobserve``: read data that is costly to hash (a table, an API) as a run does, rather
    than judge it by its signature or last observation as a look does; ``memo``: the last
    evaluation remembered, of which only what changed is judged again, and where this one
    is kept."""
    project = ProjectView(
        ctx.project_pipeline(), ctx.catalog, store, ctx.params, ctx.project_path, reobserve
    )
    cache = EvaluationCache(project, memo)
    evaluation = evaluate_project(project, cache=cache)
    if record:
        try:
            record_observations(cache)
        except StateNotWritableError as refused:
            # A look only adds what it saw of sources; the verdicts stand without it. The
            # next look that may write records it (their data time starts then).
            logger.warning("%s; what this look saw of sources was not recorded", refused.message)
    return evaluation


def pipeline_status(
    ctx: AetherContext, pipeline_name: str | None = None, *, memo: EvaluationMemo | None = None
) -> list[AssetStatus]:
    """Every asset of the project with its status, sources first, then in run order.

    ``pipeline_name`` only filters what is returned to that pipeline's datasets: verdicts
    are always those of the whole project. ``memo``: the project's memo, if one was looked
    at before it was loaded (default: the memo of ``ctx``).
    """
    shown = ctx.pipeline(pipeline_name).datasets() if pipeline_name else None
    ctx.project_pipeline().toposorted()  # a cycle is refused before the state is touched
    with ctx.state_store() as store:
        memo = memo or EvaluationMemo.for_context(ctx)
        evaluation = evaluate(ctx, store, record=True, memo=memo)
    statuses = evaluation.statuses.values()
    return [s for s in statuses if shown is None or s.name in shown]


def waiting_on(evaluation: Evaluation, asset: str) -> list[str]:
    """For an overdue asset: its upstream sources and how long each has been unchanged."""
    pipeline = evaluation.pipeline
    producer = pipeline.producers.get(asset)
    upstream = {producer} | pipeline.upstream_of([producer]) if producer else set()
    sources = {
        name
        for node in upstream
        for name in pipeline.node(node).dataset_inputs
        if name not in pipeline.producers and name in evaluation.statuses
    }
    waits = []
    for name in sorted(sources):
        data_time = evaluation.statuses[name].data_time
        age = f"unchanged {format_age(evaluation.now - data_time)}" if data_time else "unseen"
        waits.append(f"{name} ({age})")
    return waits


@dataclass
class Incident:
    asset: str
    status: Status
    reason: str | None
    started: float
    ended: float | None

    @property
    def duration(self) -> float:
        return (self.ended or time.time()) - self.started


@dataclass
class AssetHistory:
    asset: str
    incidents: list[Incident] = field(default_factory=list)
    downtime: float = 0.0

    @property
    def mean_time_to_recover(self) -> float | None:
        closed = [i.duration for i in self.incidents if i.ended is not None]
        return sum(closed) / len(closed) if closed else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "downtime_seconds": round(self.downtime, 3),
            "incidents": [
                {
                    "status": str(i.status),
                    "reason": i.reason,
                    "started": i.started,
                    "ended": i.ended,
                    "seconds": round(i.duration, 3),
                }
                for i in self.incidents
            ],
            "mean_time_to_recover_seconds": self.mean_time_to_recover,
        }


def history(
    transitions: Iterable[Transition], window: float, now: float | None = None
) -> dict[str, AssetHistory]:
    """Incidents and downtime per asset over the last ``window`` seconds.

    Downtime is time spent missing, failed or overdue; an incident runs from the transition
    that left ``fresh`` to the one that came back (open if it has not yet).
    """
    now = time.time() if now is None else now
    start = now - window
    by_asset: dict[str, list[Transition]] = {}
    for transition in transitions:
        by_asset.setdefault(transition.asset, []).append(transition)
    result = {}
    for asset, items in by_asset.items():
        record = AssetHistory(asset)
        items.sort(key=lambda t: t.at)
        for current, following in zip(items, [*items[1:], None], strict=True):
            if not _is_down(current):
                continue
            ended = following.at if following is not None else None
            incident = Incident(asset, current.status, current.reason, current.at, ended)
            end = ended if ended is not None else now
            if end <= start:
                continue
            record.incidents.append(incident)
            record.downtime += end - max(current.at, start)
        result[asset] = record
    return result


def _is_down(transition: Transition) -> bool:
    if transition.status in DOWN_STATUSES:
        return True
    return transition.status != Status.FRESH and transition.reason_kind is ReasonKind.OVERDUE
