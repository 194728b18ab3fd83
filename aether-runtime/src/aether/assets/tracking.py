"""Recording a run in the state store: attempts, materializations, checks, transitions.

:class:`AssetTracker` is the orchestrator's ``Tracker``: before a node runs it fixes the
fingerprint the outputs will carry (from the input versions *as read when the node starts*)
and may cut the node off when its inputs came out unchanged (an explicit call: a decision,
not an event); it records what the run's events tell: it journals staged outputs, commits
all of a node's outputs in one transaction, or marks them failed.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from aether.assets.evaluation import (
    EvaluationCache,
    ProjectView,
    RunFacts,
    checks_for,
    evaluate,
    head_now,
    read_heads_ahead,
    signature_looked_at,
    signature_now,
    state_at_start,
)
from aether.assets.fingerprint import fingerprint_of
from aether.assets.status import AssetStatus, Evaluation
from aether.datasets.base import AbstractDataSet
from aether.engine.events import (
    AssetsEvaluated,
    CheckEvaluated,
    NodeAborted,
    NodeFailed,
    NodeFinished,
    OutputsPublished,
    OutputsStaged,
    RunEvent,
    RunFinished,
)
from aether.engine.plan import NodeStart, Plan, PlannedNode
from aether.errors import AetherError
from aether.pipeline import Node
from aether.state.base import (
    CheckResult,
    Head,
    HeadStatus,
    Materialization,
    PublishJournal,
    RunRecord,
    StateStore,
    Transition,
)
from aether.support.redaction import redact
from aether.verdicts import Reason, ReasonKind, ReasonText, Status, because

logger = logging.getLogger("aether.run")


# The version recorded for an input that changed while a node read it: matches no version,
# so the outputs are stale until rebuilt from data that held still.
UNSETTLED = "unsettled: changed while the node read it"


@dataclass
class _Started:
    attempt: int
    fingerprint: str
    parts: dict[str, Any]
    data_time: float | None
    started_at: float
    # Sources cheap to look at, and the signature their recorded version rests on.
    looked_at: dict[str, dict[str, Any]] = field(default_factory=dict)
    settled: bool = False


class AssetTracker:
    """Connects a run to the state store, and owns what the run learns.

    What the run reads and writes (a node's inputs as read when it starts, the heads it
    committed or failed) is the tracker's own :class:`RunFacts`; it asks for an evaluation
    by passing them, with its :class:`EvaluationCache`, to
    :func:`~aether.assets.evaluation.evaluate`. Nothing it does writes into an evaluation.

    The orchestrator's ``Tracker``: it decides in ``start`` (a node's fingerprint and
    checks, or an early cutoff) and records by listening to the run's events (journal on
    ``OutputsStaged``, commit on ``OutputsPublished``, failure and abort on the node's last
    event). ``before_nodes`` and ``after_nodes`` emit what it checked on stored data and the
    statuses after the run.
    """

    def __init__(
        self,
        project: ProjectView,
        cache: EvaluationCache,
        run_id: str,
        describe_run: Callable[[], RunRecord] | None = None,
    ) -> None:
        self.project = project
        self.cache = cache
        self.store: StateStore = project.store
        self.run_id = run_id
        # The run's record, made and stored when its first node starts: a run with
        # nothing to do costs nothing and leaves nothing to show.
        self._describe_run = describe_run
        self._run_recorded = False
        self.facts = RunFacts()
        self._started: dict[str, _Started] = {}
        self._checks: dict[str, list[CheckResult]] = {}  # each running node's check results
        self._checked_first: list[CheckResult] = []  # on source data, before the plan
        self._evaluation: Evaluation | None = None
        self.rebuilt: set[str] = set()

    def evaluate(self, now: float | None = None) -> Evaluation:
        """The statuses now, given what the run learned; kept (the basis of the nodes'
        states as they start, and the statuses after a run that ran nothing)."""
        now = time.time() if now is None else now
        self._evaluation = evaluate(self.project, self.facts, cache=self.cache, now=now)
        return self._evaluation

    def start(self, planned: PlannedNode) -> NodeStart:
        node = planned.node
        basis = self._evaluation if self._evaluation is not None else self.evaluate()
        # Heads are current (this run commits them, under the lock); the files are re-read.
        self.facts.read_again(node.dataset_inputs)
        state = state_at_start(self.cache, self.facts, node, basis)
        self.facts.node_started(state)  # consumers of its in-memory outputs see this one
        if planned.cutoff and self._outputs_current(node, state.fingerprint):
            return NodeStart(cutoff=because(ReasonKind.EARLY_CUTOFF))
        stored = [o for o in node.outputs if o in self.project.assets]
        if not stored:  # nothing to publish, so nothing to record or recover
            return NodeStart(fingerprint=state.fingerprint)
        specs = {o: tuple(checks_for(self.cache, o)) for o in stored}
        checks = {o: found for o, found in specs.items() if found}
        self._record_run()
        attempt = self.store.begin_attempt(self.run_id, node.name)
        self._started[node.name] = _Started(
            attempt,
            state.fingerprint,
            state.parts,
            state.data_time,
            time.time(),
            self._looked_at(node),
        )
        return NodeStart(
            fingerprint=state.fingerprint, checks=checks, in_place=self._in_place(stored)
        )

    def on_event(self, event: RunEvent) -> None:
        if isinstance(event, CheckEvaluated):
            if event.node is not None:
                self._checks.setdefault(event.node, []).append(event.result)
        elif isinstance(event, OutputsStaged):
            self._publishing(event)
        elif isinstance(event, OutputsPublished):
            self._succeeded(event)
        elif isinstance(event, NodeFailed):
            self._failed(event.result.name, event.result.error)
        elif isinstance(event, NodeAborted):
            self._aborted(event.result.name, event.result.reason)
        elif isinstance(event, NodeFinished):
            self._checks.pop(event.node, None)
        elif isinstance(event, RunFinished) and self._run_recorded:
            status = "succeeded" if event.result.succeeded else "failed"
            self.store.finish_run(self.run_id, event.at, status)

    def _record_run(self) -> None:
        if self._run_recorded or self._describe_run is None:
            return
        self.store.record_run(self._describe_run())
        self._run_recorded = True

    def before_nodes(self, plan: Plan, emit: Callable[[RunEvent], None]) -> None:
        """Read the heads of what the plan writes (one query, not one per node); tell the
        checks already re-run on source data for this plan."""
        assets = self.project.assets
        outputs = (o for p in plan.to_run for o in p.node.outputs if o in assets)
        read_heads_ahead(self.cache, outputs)
        for result in self._checked_first:
            emit(CheckEvaluated(self.run_id, time.time(), None, result))

    def after_nodes(self, plan: Plan, emit: Callable[[RunEvent], None]) -> None:
        """Statuses after the run (heads were refreshed as it went), on a clock read now
        unless nothing ran (the evaluation that planned it still holds); checks whose specs
        changed re-run on stored data; transitions recorded. All of it emitted."""
        evaluation = self._evaluation
        if evaluation is None or plan.to_run:
            evaluation = self.evaluate()
        results = self.rerun_changed_checks(evaluation.statuses.values())
        for result in results:
            emit(CheckEvaluated(self.run_id, time.time(), None, result))
        if plan.blocked or _any_failed(results) or _any_failed(self._checked_first):
            evaluation = self.evaluate(evaluation.now)
        changes = record_transitions(self.store, evaluation.statuses.values(), evaluation.now)
        emit(AssetsEvaluated(self.run_id, time.time(), evaluation.statuses, tuple(changes)))

    def _in_place(self, outputs: Sequence[str]) -> dict[str, tuple[dict[str, Any], str]]:
        """Each output's file as its head recorded it (signature, content hash), where both
        are known: the run leaves one in place that it would rewrite with the same bytes."""
        found = {}
        for name in outputs:
            head = head_now(self.cache, self.facts, name)
            made = head.materialization if head is not None else None
            if head is None or head.status is not HeadStatus.OK or made is None:
                continue
            if made.signature and made.version and made.version.startswith("sha256:"):
                found[name] = (made.signature, made.version)
        return found

    def _looked_at(self, node: Node) -> dict[str, dict[str, Any]]:
        project = self.project
        found = {}
        for name in node.dataset_inputs:
            if name in project.assets and name not in project.pipeline.producers:
                signature = signature_looked_at(self.cache, name)
                cheap = not project.catalog.get(name).content_hash_is_costly
                if signature is not None and cheap:
                    found[name] = signature
        return found

    def _settle(self, node: str, read_versions: Mapping[str, str], started: _Started) -> None:
        """Record the inputs as the node read them, not as the run first saw them.

        An input can change between the look that fixed the fingerprint and the node's
        read (an upload landing, a server answering differently); restored later, it would
        make outputs built from the other data look fresh for ever. So: what a dataset says
        it read (``loaded_version``) replaces the recorded version; a cheap source whose
        signature moved since the look is recorded as unsettled (stale until rebuilt).
        """
        if started.settled:
            return
        started.settled = True
        inputs = dict(started.parts.get("inputs", {}))
        changed = []
        for name, version in read_versions.items():
            if name in inputs and inputs[name] != version:
                inputs[name] = version
                changed.append(name)
        looked_at = {n: s for n, s in started.looked_at.items() if n not in changed}
        self.facts.read_again(looked_at)
        for name, signature in looked_at.items():
            if signature_now(self.cache, self.facts, name) != signature:
                inputs[name] = UNSETTLED
                changed.append(name)
        if not changed:
            return
        started.parts = {**started.parts, "inputs": inputs}
        started.fingerprint = fingerprint_of(started.parts)
        # A version pinned with --load-version differs from the newest on purpose.
        surprises = sorted(set(changed) - set(self.project.catalog.pinned_versions))
        if surprises:
            logger.warning(
                "node %s: %s changed while it was read; its outputs are recorded as built "
                "from what it read, and rebuilt by a later run",
                node,
                ", ".join(surprises),
            )

    def _publishing(self, event: OutputsStaged) -> None:
        """Journal the renames of a node with two or more staged outputs (a single rename is
        atomic by itself): what a run killed among them needs to finish or fail them."""
        started = self._started.get(event.node)
        if started is None:
            return
        self._settle(event.node, event.read_versions, started)
        if len(event.staged) < 2:
            return
        journal = PublishJournal(
            started.attempt,
            event.node,
            {name: dataclasses.asdict(staged) for name, staged in event.staged.items()},
            tuple(self._materializations(event, _plain(event.signatures), started)),
            tuple(_masked(self._checks.get(event.node, ()))),
        )
        self.store.record_publish_journal(journal)

    def _succeeded(self, event: OutputsPublished) -> None:
        started = self._started.pop(event.node, None)
        if started is None:  # a node that stores nothing
            return
        self._settle(event.node, event.read_versions, started)
        materializations = self._materializations(event, _plain(event.signatures), started)
        results = _masked(self._checks.pop(event.node, ()))
        self.store.commit_node(started.attempt, materializations, results)
        self.rebuilt.update(event.outputs)
        # Taken as written rather than read back: the run holds the project lock.
        at = time.time()
        self.facts.wrote(
            {m.asset: Head(m.asset, HeadStatus.OK, m, None, at) for m in materializations}
        )

    def _materializations(
        self,
        event: OutputsStaged | OutputsPublished,
        signatures: Mapping[str, Any],
        started: _Started,
    ) -> list[Materialization]:
        finished = time.time()
        return [
            Materialization(
                asset=name,
                node=event.node,
                run_id=self.run_id,
                started_at=started.started_at,
                finished_at=finished,
                fingerprint=started.fingerprint,
                parts=started.parts,
                version=event.versions[name],
                signature=signatures.get(name),
                data_time=started.data_time if started.data_time is not None else finished,
                columns=event.columns.get(name),
            )
            for name in event.outputs
            if name in self.project.assets
        ]

    def _failed(self, node_name: str, error: AetherError | None) -> None:
        checks = self._checks.pop(node_name, ())
        started = self._started.pop(node_name, None)
        if started is None or error is None:
            return
        node = self.project.pipeline.node(node_name)
        stored = [o for o in node.outputs if o in self.project.assets]
        self.store.fail_node(started.attempt, stored, redact(error.message), _masked(checks))
        if stored:  # as the store now has them
            found = self.store.heads(stored, include_parts=False)
            self.facts.wrote({name: found.get(name) for name in stored})

    def _aborted(self, node: str, reason: ReasonText | None) -> None:
        self._checks.pop(node, None)
        started = self._started.pop(node, None)
        if started is not None:  # heads untouched: the previous good version stays
            self.store.abort_attempt(started.attempt, str(reason))

    def rerun_changed_checks(
        self, statuses: Iterable[AssetStatus], *, sources_only: bool = False
    ) -> list[CheckResult]:
        """Run pending checks (new or changed specs, new source data) on stored data, with
        no rebuild; returns their results (secrets masked). Those on sources only are told
        as events when the run starts (``before_nodes``)."""
        from aether.checks import run_checks

        found = []
        for status in statuses:
            if not status.checks_pending or status.name in self.rebuilt:
                continue
            if sources_only and not status.is_source:
                continue
            if status.status is not Status.FRESH and not status.is_source:
                continue
            data = self.project.catalog.load(status.name)
            results = _masked(run_checks(status.name, data, status.checks_pending))
            self.store.record_check_results(results)
            found += results
        if sources_only:
            self._checked_first += found
        return found

    def _outputs_current(self, node: Node, fingerprint: str) -> bool:
        stored = [o for o in node.outputs if o in self.project.assets]
        if not stored or len(stored) != len(node.outputs):
            return False
        for name in stored:
            head = head_now(self.cache, self.facts, name)
            materialization = head.materialization if head else None
            if head is None or head.status is not HeadStatus.OK or materialization is None:
                return False
            if materialization.fingerprint != fingerprint:
                return False
            if not _still_as_recorded(self.project.catalog.get(name), materialization):
                return False
        return True


def _still_as_recorded(dataset: AbstractDataSet, materialization: Materialization) -> bool:
    """Whether the stored output is the one the state records (for early cutoff); a hook
    that raises cannot vouch for it (rebuild)."""
    try:
        return _as_recorded(dataset, materialization)
    except Exception:  # a custom dataset's hook may raise anything
        return False


def _as_recorded(dataset: AbstractDataSet, materialization: Materialization) -> bool:
    current = dataset.signature()
    if current is not None:
        return current == materialization.signature
    # No signature (a custom dataset's minimum): trusted as status trusts it, unless it is
    # gone or a content hash it offers says otherwise.
    if materialization.signature is not None or not dataset.exists():
        return False
    content = dataset.content_hash()
    return content is None or content == materialization.version


def record_transitions(
    store: StateStore, statuses: Iterable[AssetStatus], now: float
) -> list[Transition]:
    """Append a transition for every asset whose status changed since last recorded; return
    the ones worth an alert.

    An asset whose very first record is ``missing`` has simply never been built (for example
    it belongs to a pipeline that has not run yet, now that status covers the whole project):
    it enters the history, but it is not an incident.
    """
    last = store.last_statuses()
    changes = [
        Transition(s.name, s.status, _words(s.reason), now, s.reason_kind)
        for s in statuses
        if last.get(s.name) != s.status
    ]
    if changes:
        store.record_transitions(changes)
    return [c for c in changes if c.asset in last or c.status is not Status.MISSING]


def _plain(signatures: Mapping[str, Any]) -> dict[str, dict[str, Any] | None]:
    """An event's read-only signatures as the state store keeps them (plain dicts)."""
    return {name: None if sig is None else dict(sig) for name, sig in signatures.items()}


def _any_failed(results: Iterable[CheckResult]) -> bool:
    """An error-level check failed: the statuses are read again after recording it."""
    return any(not r.passed and r.severity == "error" for r in results)


def _words(reason: Reason | None) -> str | None:
    """A reason as history keeps it: in words, secrets masked (it may quote an error)."""
    return None if reason is None else redact(reason.text)


def _masked(results: Sequence[CheckResult]) -> list[CheckResult]:
    """Check results with secrets masked in their messages: a check may quote the data, and
    the state store is a plain file that outlives the run."""
    return [replace(result, message=redact(result.message)) for result in results]
