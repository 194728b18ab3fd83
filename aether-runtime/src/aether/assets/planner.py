"""Deciding which nodes a run executes, and why.

A node runs when one of its stored outputs is missing, stale or failed; when a node it
depends on runs (then it may be *cut off* at run time if its inputs come out unchanged);
when a node that runs needs its in-memory output; or always when it stores nothing and
feeds nobody (a sink). ``--force`` runs every selected node.

Staleness is one truth project-wide: a selected node never consumes silently an input that
another pipeline produces and that is not fresh. :func:`plan_project_run` adds those
producers (and what they need in turn) to the plan, saying which and why.

Planning reads a frozen :class:`~aether.assets.status.Evaluation` and changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aether.assets.status import Evaluation
from aether.engine.plan import Plan, PlannedNode
from aether.pipeline import Node, Pipeline
from aether.project.context import AetherContext
from aether.verdicts import ReasonKind, ReasonText, Status, because


def plan_project_run(
    ctx: AetherContext,
    home: Pipeline,
    selected: Pipeline,
    evaluation: Evaluation,
    *,
    force: bool = False,
) -> Plan:
    """The plan for the ``selected`` nodes of pipeline ``home``, plus the producers in
    other pipelines of inputs they need that are not fresh (built first, with the reason).

    ``evaluation`` must be of the whole project (``ctx.project_pipeline()``).
    """
    needed = needed_from_other_pipelines(home, selected, evaluation)
    if not needed:
        return plan_stale(selected, evaluation, force=force)
    project = evaluation.pipeline
    wanted = {n.name for n in selected.nodes} | set(needed)
    extended = Pipeline([n for n in project.nodes if n.name in wanted], home.name)
    plan = plan_stale(extended, evaluation, force=force)
    return replace(plan, to_run=[_explain_needed(p, needed, ctx) for p in plan.to_run])


def needed_from_other_pipelines(
    home: Pipeline, selected: Pipeline, evaluation: Evaluation
) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Producers outside ``home`` whose output a selected node (or one of these producers)
    reads and which is not fresh, or held in memory: node -> (consumer, dataset, why)."""
    needed: dict[str, tuple[str, str, dict[str, Any]]] = {}

    def follow(consumer: Node, name: str, producer: str) -> bool:
        why = None if producer in home else _why_needed(evaluation, name)
        if why is not None:
            needed[producer] = (consumer.name, name, why)
        return why is not None

    evaluation.pipeline.upstream_of((n.name for n in selected.nodes), follow=follow)
    return needed


def _why_needed(evaluation: Evaluation, name: str) -> dict[str, Any] | None:
    """The details of a NEEDED_BY reason: held in memory (no status), or not fresh."""
    if name not in evaluation.stored:
        return {"status": None, "reason": None}
    status = evaluation.statuses.get(name)
    if status is None or status.status is Status.FRESH or status.overdue:
        return None
    return {"status": status.status, "reason": status.reason}


def _explain_needed(
    planned: PlannedNode, needed: dict[str, tuple[str, str, dict[str, Any]]], ctx: AetherContext
) -> PlannedNode:
    if planned.node.name not in needed:
        return planned
    consumer, dataset, why = needed[planned.node.name]
    owners = ", ".join(ctx.pipelines_of(planned.node.name))
    reason = because(
        ReasonKind.NEEDED_BY, consumer=consumer, dataset=dataset, pipelines=owners, **why
    )
    return PlannedNode(planned.node, reason, cutoff=planned.cutoff)


def plan_stale(pipeline: Pipeline, evaluation: Evaluation, *, force: bool = False) -> Plan:
    """The plan for ``pipeline`` given the asset statuses of ``evaluation``."""
    order = pipeline.toposorted()
    stored = set(evaluation.stored)
    children = pipeline.children_map()
    forced = because(ReasonKind.FORCED, option="--force")
    reasons: dict[str, ReasonText] = {n.name: forced for n in order} if force else {}
    cutoff: set[str] = set()  # planned only because something upstream runs
    for item in order if not force else ():
        state = evaluation.nodes[item.name]
        keeps = [o for o in item.outputs if o in stored]
        if state.status is not Status.FRESH and not _only_overdue(evaluation, item):
            verdict = because(ReasonKind.VERDICT, status=state.status, reason=state.reason)
            reasons[item.name] = verdict
            if state.upstream_only:
                cutoff.add(item.name)
        elif not keeps and not children[item.name]:
            reasons[item.name] = because(ReasonKind.SINK)
        else:
            parent = next((p for p in sorted(pipeline.parents(item)) if p in reasons), None)
            if parent is not None:
                reasons[item.name] = because(ReasonKind.UPSTREAM_RUNS, node=parent)
                cutoff.add(item.name)
    _add_memory_producers(pipeline, stored, reasons, cutoff)
    blocked = _blocked_by_failed_sources(pipeline, evaluation, reasons)
    to_run = [
        PlannedNode(n, reasons[n.name], cutoff=n.name in cutoff)
        for n in order
        if n.name in reasons and n.name not in blocked
    ]
    fresh = because(ReasonKind.FRESH)
    skipped = [PlannedNode(n, fresh) for n in order if n.name not in reasons]
    held = [PlannedNode(n, blocked[n.name]) for n in order if n.name in blocked]
    return Plan(pipeline, to_run, skipped, held)


def _blocked_by_failed_sources(
    pipeline: Pipeline, evaluation: Evaluation, reasons: dict[str, ReasonText]
) -> dict[str, ReasonText]:
    """Nodes that would run on a source failing an error-level check or missing (its file
    is not there: the node could only fail reading it), and all below them."""
    blocked: dict[str, ReasonText] = {}
    for item in pipeline.toposorted():
        if item.name not in reasons:
            continue
        for name in item.dataset_inputs:
            status = evaluation.statuses.get(name)
            unwell = (Status.FAILED, Status.MISSING)
            if status is not None and status.is_source and status.status in unwell:
                blocked[item.name] = because(
                    ReasonKind.SOURCE_FAILED,
                    source=name,
                    reason=status.reason,
                    status=status.status.value,
                )
                break
            producer = pipeline.producers.get(name)
            if producer in blocked:
                blocked[item.name] = blocked[producer]
                break
    return blocked


def _only_overdue(evaluation: Evaluation, item: Node) -> bool:
    """Overdue outputs whose inputs did not change: rebuilding would change nothing."""
    statuses = [evaluation.statuses[o] for o in item.outputs if o in evaluation.statuses]
    unwell = [s for s in statuses if s.status is not Status.FRESH]
    return bool(unwell) and all(s.overdue for s in unwell)


def _add_memory_producers(
    pipeline: Pipeline, stored: set[str], reasons: dict[str, ReasonText], cutoff: set[str]
) -> None:
    """A node that runs needs its in-memory inputs: their producers run too (no cutoff).

    The producers not planned yet are found by the pipeline's own walk, up in-memory links
    from every planned node (the consumer named is the one that reaches it first: the last
    in run order); then a planned producer that may be cut off no longer may, if a node
    that runs (planned before or just now) reads its in-memory output.
    """

    def needed(consumer: Node, dataset: str, producer: str) -> bool:
        if dataset in stored:
            return False
        if producer not in reasons:
            reasons[producer] = _needed_in_memory(dataset, consumer.name)
        return True

    planned = [n.name for n in pipeline.toposorted() if n.name in reasons]
    pipeline.upstream_of(planned, follow=needed)
    if not cutoff:
        return
    for item in reversed(pipeline.toposorted()):
        if item.name not in reasons:
            continue
        for name in item.dataset_inputs:
            producer = pipeline.producers.get(name)
            if producer in cutoff and name not in stored:
                reasons[producer] = _needed_in_memory(name, item.name)
                cutoff.discard(producer)


def _needed_in_memory(dataset: str, consumer: str) -> ReasonText:
    return because(ReasonKind.NEEDED_IN_MEMORY, dataset=dataset, consumer=consumer)
