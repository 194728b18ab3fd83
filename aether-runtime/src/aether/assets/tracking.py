"""Recording a run in the state store: attempts, materializations, checks, transitions.

:class:`AssetTracker` is the orchestrator's ``Tracker``: before a node runs it fixes the
fingerprint the outputs will carry (from the input versions *as read when the node starts*)
and may cut the node off when its inputs came out unchanged; after it runs it commits all of
the node's outputs in one transaction, or marks them failed.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from aether.assets.evaluation import AssetEvaluator
from aether.assets.fingerprint import fingerprint_of
from aether.assets.status import AssetStatus
from aether.datasets.base import AbstractDataSet
from aether.engine.execution import NodeOutcome, NodeTask
from aether.engine.plan import PlannedNode
from aether.errors import AetherError
from aether.pipeline import Node
from aether.redaction import redact
from aether.state.base import (
    CheckResult,
    HeadStatus,
    Materialization,
    PublishJournal,
    StateStore,
    Transition,
)
from aether.verdicts import Reason, Status

logger = logging.getLogger("aether.run")


# The version recorded for an input that changed while a node read it: matches no version,
# so the outputs are stale until rebuilt from data that held still.
UNSETTLED = "unsettled: changed while the node read it"


@dataclass
class _Started:
    attempt: int
    fingerprint: str
    parts: dict
    data_time: float | None
    started_at: float
    # Sources cheap to look at, and the signature their recorded version rests on.
    looked_at: dict[str, dict] = field(default_factory=dict)
    settled: bool = False


class AssetTracker:
    """Connects a run to the state store through an :class:`AssetEvaluator`."""

    def __init__(self, evaluator: AssetEvaluator, store: StateStore, run_id: str) -> None:
        self.evaluator = evaluator
        self.store = store
        self.run_id = run_id
        self._started: dict[str, _Started] = {}
        self.rebuilt: set[str] = set()

    def start(self, planned: PlannedNode, task: NodeTask) -> str | None:
        node = planned.node
        evaluator = self.evaluator
        # Heads are current (this run commits them, under the lock); the files are re-read.
        evaluator.restat(node.dataset_inputs)
        state = evaluator.node_state(node)
        evaluator.note_running(state)  # consumers of its in-memory outputs see this one
        if planned.cutoff and self._outputs_current(node, state.fingerprint):
            return "early cutoff: its inputs came out unchanged"
        stored = [o for o in node.outputs if o in evaluator.assets]
        task.fingerprint = state.fingerprint
        if not stored:  # nothing to publish, so nothing to record or recover
            return None
        task.checks = {o: evaluator.checks_for(o) for o in stored if evaluator.checks_for(o)}
        attempt = self.store.begin_attempt(self.run_id, node.name)
        self._started[node.name] = _Started(
            attempt,
            state.fingerprint,
            state.parts,
            state.data_time,
            time.time(),
            self._looked_at(node),
        )
        return None

    def _looked_at(self, node: Node) -> dict[str, dict]:
        evaluator = self.evaluator
        found = {}
        for name in node.dataset_inputs:
            if name in evaluator.assets and name not in evaluator.pipeline.producers:
                signature = evaluator.source_signature_looked_at(name)
                if signature is not None and evaluator.is_cheap_to_look_at(name):
                    found[name] = signature
        return found

    def _settle(self, node: Node, outcome: NodeOutcome, started: _Started) -> None:
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
        for name, version in outcome.read_versions.items():
            if name in inputs and inputs[name] != version:
                inputs[name] = version
                changed.append(name)
        looked_at = {n: s for n, s in started.looked_at.items() if n not in changed}
        self.evaluator.restat(looked_at)
        for name, signature in looked_at.items():
            if self.evaluator.signature(name) != signature:
                inputs[name] = UNSETTLED
                changed.append(name)
        if not changed:
            return
        started.parts = {**started.parts, "inputs": inputs}
        started.fingerprint = fingerprint_of(started.parts)
        logger.warning(
            "node %s: %s changed while it was read; its outputs are recorded as built from "
            "what it read, and rebuilt by a later run",
            node.name,
            ", ".join(sorted(changed)),
        )

    def publishing(self, node: Node, outcome: NodeOutcome) -> None:
        """Journal the renames of a node with two or more staged outputs (a single rename is
        atomic by itself): what a run killed among them needs to finish or fail them."""
        started = self._started.get(node.name)
        if started is None:
            return
        self._settle(node, outcome, started)
        if len(outcome.staged) < 2:
            return
        journal = PublishJournal(
            started.attempt,
            node.name,
            {name: dataclasses.asdict(staged) for name, staged in outcome.staged.items()},
            tuple(self._materializations(node, outcome, started)),
            tuple(_masked(outcome.check_results)),
        )
        self.store.record_publish_journal(journal)

    def succeeded(self, node: Node, outcome: NodeOutcome) -> None:
        started = self._started.pop(node.name, None)
        if started is None:  # a node that stores nothing
            return
        self._settle(node, outcome, started)
        materializations = self._materializations(node, outcome, started)
        results = _masked(outcome.check_results)
        self.store.commit_node(started.attempt, materializations, results)
        self.rebuilt.update(outcome.saved)
        self.evaluator.committed(materializations, time.time())

    def _materializations(
        self, node: Node, outcome: NodeOutcome, started: _Started
    ) -> list[Materialization]:
        finished = time.time()
        return [
            Materialization(
                asset=name,
                node=node.name,
                run_id=self.run_id,
                started_at=started.started_at,
                finished_at=finished,
                fingerprint=started.fingerprint,
                parts=started.parts,
                version=outcome.versions[name],
                signature=outcome.signatures.get(name),
                data_time=started.data_time if started.data_time is not None else finished,
            )
            for name in outcome.saved
            if name in self.evaluator.assets
        ]

    def failed(self, node: Node, error: AetherError) -> None:
        started = self._started.pop(node.name, None)
        if started is None:
            return
        stored = [o for o in node.outputs if o in self.evaluator.assets]
        results = _masked(getattr(error, "check_results", ()))
        self.store.fail_node(started.attempt, stored, redact(error.message), results)
        self.evaluator.refresh(stored)

    def aborted(self, node: Node, reason: str) -> None:
        started = self._started.pop(node.name, None)
        if started is not None:  # heads untouched: the previous good version stays
            self.store.abort_attempt(started.attempt, reason)

    def rerun_changed_checks(
        self, statuses: Iterable[AssetStatus], *, sources_only: bool = False
    ) -> list[str]:
        """Run pending checks (new or changed specs, new source data) on stored data, with
        no rebuild; returns the error-level failures."""
        from aether.checks import run_checks

        failures = []
        for status in statuses:
            if not status.checks_pending or status.name in self.rebuilt:
                continue
            if sources_only and not status.is_source:
                continue
            if status.status is not Status.FRESH and not status.is_source:
                continue
            data = self.evaluator.catalog.load(status.name)
            results = _masked(run_checks(status.name, data, status.checks_pending))
            self.store.record_check_results(results)
            failures += [
                f"check {r.check} on '{r.asset}' failed (re-run on stored data): {r.message}"
                for r in results
                if not r.passed and r.severity == "error"
            ]
        return failures

    def _outputs_current(self, node: Node, fingerprint: str) -> bool:
        stored = [o for o in node.outputs if o in self.evaluator.assets]
        if not stored or len(stored) != len(node.outputs):
            return False
        for name in stored:
            head = self.evaluator.head(name)
            materialization = head.materialization if head else None
            if head is None or head.status is not HeadStatus.OK or materialization is None:
                return False
            if materialization.fingerprint != fingerprint:
                return False
            if not _still_as_recorded(self.evaluator.catalog.get(name), materialization):
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


def _words(reason: Reason | None) -> str | None:
    """A reason as history keeps it: in words, secrets masked (it may quote an error)."""
    return None if reason is None else redact(reason.text)


def _masked(results: Sequence[CheckResult]) -> list[CheckResult]:
    """Check results with secrets masked in their messages: a check may quote the data, and
    the state store is a plain file that outlives the run."""
    return [replace(result, message=redact(result.message)) for result in results]
