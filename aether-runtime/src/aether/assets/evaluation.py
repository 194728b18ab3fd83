"""Which assets are fresh, stale (and why), missing or failed — in one topological pass.

The rule is fingerprint equality, never "newer than". For every node we compute what its
outputs *would* be made from now (code hash, options, the parameter values it reads, the
current version of each input) and compare it with what they *were* made from (the parts
stored with the head materialization). Nothing here imports user code (code hashes come
from parsing source files) and no content is hashed unless a physical signature changed.

Versions:
- a source asset (no producer): its last observed version while its signature is unchanged,
  else a hash of its content — so ``touch`` alone changes nothing;
- a produced, stored asset: its head's version while its signature matches the head's,
  else a hash of its content ("modified outside Aether" when that differs);
- an in-memory dataset: the fingerprint its producer would have now;
- a dataset with neither ``signature()`` nor ``content_hash()`` (a custom dataset's minimum):
  Aether's own record, trusted while ``exists()`` holds — outside changes are not seen.

The pipeline given is the project's (the union of all pipelines): an asset has one verdict
whichever pipeline asks.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from aether.assets.fingerprint import (
    code_hash,
    code_hash_from_dotted,
    explain_changes,
    fingerprint_of,
    node_parts,
    params_for,
)
from aether.assets.status import FAILED, FRESH, MISSING, STALE, AssetStatus, NodeState, Observation
from aether.catalog import DataCatalog
from aether.checks import CheckSpec, parse_checks
from aether.durations import format_age, parse_duration
from aether.pipeline import Node, Pipeline
from aether.state.base import Head, SourceObservation, StateStore

# A file modified within this many seconds of when its signature was recorded may change
# again without its mtime moving (coarse timestamps): hash it rather than trust it ("racy").
RACY_SECONDS = 2.0


class AssetEvaluator:
    """Evaluates a pipeline's assets against the state store (see the module docstring)."""

    def __init__(
        self,
        pipeline: Pipeline,
        catalog: DataCatalog,
        store: StateStore,
        params: Mapping[str, Any],
        project_path: Path,
        *,
        now: float | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.catalog = catalog
        self.store = store
        self.params = params
        self.project_path = project_path
        self.now = time.time() if now is None else now
        names = pipeline.datasets()
        # The stored (catalog-declared) datasets: a set, as membership is asked per input.
        self.assets: set[str] = {n for n in names if catalog.is_declared(n)}
        # Parts are decoded only for the few heads whose fingerprint differs (see _why).
        self.heads: dict[str, Head] = store.heads(sorted(self.assets), include_parts=False)
        sources = sorted(n for n in self.assets if n not in pipeline.producers)
        self.observations: dict[str, SourceObservation] = store.source_observations(sources)
        self.pending_observations: dict[str, tuple[str, dict[str, Any] | None, float]] = {}
        self.statuses: dict[str, AssetStatus] = {}
        self.nodes: dict[str, NodeState] = {}
        self._code_hashes: dict[str, str] = {}
        self._observed: dict[str, Observation] = {}
        self._signatures: dict[str, dict[str, Any] | None] = {}
        self._checks: dict[str, list[CheckSpec]] = {}
        # Per node: the first unwell thing upstream of it, seen through in-memory datasets.
        # Kept per pass so a long in-memory chain is looked through once, without recursion.
        self._upstream: dict[str, str | None] = {}

    # Public -------------------------------------------------------------------------------
    def evaluate(self) -> dict[str, AssetStatus]:
        """Every asset's status (sources and produced ones), in one topological pass.

        Calling it again re-evaluates from the current heads (see :meth:`refresh`), reusing
        what cannot have changed: code hashes, source observations, untouched signatures.
        """
        self.statuses, self.nodes, self._upstream = {}, {}, {}
        for source in sorted(self.pipeline.free_inputs()):
            if source in self.assets:
                self.statuses[source] = self._source_status(source)
        for item in self.pipeline.toposorted():
            state = self.node_state(item)
            self.nodes[item.name] = state
            self._upstream[item.name] = self._upstream_problem(item)
            for output in item.outputs:
                if output in self.assets:
                    self.statuses[output] = self._output_status(item, state, output)
            state.status, state.reason = self._node_verdict(item)
            state.upstream_only = state.status == STALE and all(
                self.statuses[o].status == FRESH
                or (self.statuses[o].reason or "").startswith("upstream:")
                for o in item.outputs
                if o in self.statuses
            )
        return self.statuses

    def node_state(self, item: Node) -> NodeState:
        """What ``item``'s outputs would be made from, given the state right now."""
        versions: dict[str, str] = {}
        data_times: list[float] = []
        for name in item.dataset_inputs:
            version, data_time = self.input_version(name)
            versions[name] = version or "missing"
            if data_time is not None:
                data_times.append(data_time)
        parts = node_parts(
            self.code_hash(item),
            dict(item.options),
            params_for(item.param_keys, self.params),
            versions,
        )
        data_time = min(data_times) if data_times else None
        return NodeState(item.name, parts, fingerprint_of(parts), data_time)

    def input_version(self, name: str) -> tuple[str | None, float | None]:
        """The version of a dataset as a consumer would read it now, and its data time."""
        if name not in self.assets:  # in memory: what its producer would make now
            producer = self.pipeline.producers.get(name)
            state = self.nodes.get(producer) if producer else None
            if state is None:
                return f"memory:{name}", None
            return f"memory:{state.fingerprint}", state.data_time
        if name not in self.pipeline.producers:
            observed = self.observe_source(name)
            return observed.version, observed.data_time
        head = self.heads.get(name)
        materialization = head.materialization if head else None
        if materialization is None:
            return None, None
        version = self._stored_version(name, materialization.version, materialization.signature)
        return version, materialization.data_time

    def observe_source(self, name: str) -> Observation:
        """The source's version: the recorded one while its signature holds, else hashed."""
        if name not in self._observed:
            self._observed[name] = self._observe(name)
        return self._observed[name]

    def _observe(self, name: str) -> Observation:
        dataset = self.catalog.get(name)
        signature = self.signature(name)
        previous = self.observations.get(name)
        if signature is None and not dataset.exists():
            return Observation(None, None)
        if (
            previous is not None
            and signature is not None
            and signature == previous.signature
            and not _racy(signature, previous.observed_at)
        ):
            return Observation(previous.version, previous.first_seen)
        # Neither hook (signature, content hash): one constant version, recorded once, so
        # a source Aether cannot observe is never taken for new data on every look.
        version = dataset.content_hash() or _signature_version(signature)
        if previous is not None and previous.version == version:
            if signature is None:
                return Observation(version, previous.first_seen)
            first_seen = previous.first_seen
        else:
            first_seen = self.now
        self.pending_observations[name] = (version, signature, first_seen)
        return Observation(version, first_seen)

    def record_observations(self) -> None:
        """Store what was newly observed of sources (their data time starts when first seen)."""
        for name, (version, signature, first_seen) in self.pending_observations.items():
            self.store.record_source_observation(name, version, signature, first_seen, self.now)
        self.pending_observations.clear()

    def code_hash(self, item: Node) -> str:
        if item.code_version is not None:
            return f"code_version:{item.code_version}"
        key = item.transformation_path
        if key not in self._code_hashes:
            target = item.transformation
            if isinstance(target, str):
                self._code_hashes[key] = code_hash_from_dotted(target, self.project_path)
            else:
                self._code_hashes[key] = code_hash(target, self.project_path)
        return self._code_hashes[key]

    def checks_for(self, name: str) -> list[CheckSpec]:
        if name not in self._checks:
            entry = self.catalog.entries.get(name)
            raw = list(entry.checks) if entry else []
            self._checks[name] = parse_checks(name, raw, entry.where if entry else "catalog")
        return self._checks[name]

    def refresh(self, names: Iterable[str]) -> None:
        """Re-read the heads of ``names`` (after a node committed them during a run)."""
        wanted = [n for n in names if n in self.assets]
        for name in wanted:
            self._signatures.pop(name, None)
        if wanted:
            self.heads.update(self.store.heads(wanted, include_parts=False))

    def signature(self, name: str) -> dict[str, Any] | None:
        """The dataset's physical signature, read once per pass (one stat for a file)."""
        if name not in self._signatures:
            self._signatures[name] = self.catalog.get(name).signature()
        return self._signatures[name]

    # Statuses -----------------------------------------------------------------------------
    def _source_status(self, name: str) -> AssetStatus:
        observed = self.observe_source(name)
        status = AssetStatus(name, FRESH, version=observed.version, data_time=observed.data_time)
        if observed.version is None:
            status.status, status.reason = MISSING, "the source data is not there"
            status.root_cause = f"{name}: {status.reason}"
            return status
        self._apply_freshness(status)
        self._apply_checks(status, valid_since=observed.data_time)
        return status

    def _output_status(self, item: Node, state: NodeState, name: str) -> AssetStatus:
        head = self.heads.get(name)
        materialization = head.materialization if head else None
        status = AssetStatus(name, FRESH, node=item.name, data_time=state.data_time)
        if materialization is not None:
            status.version = materialization.version
            status.last_materialized = materialization.finished_at
            status.run_id = materialization.run_id
            status.data_time = materialization.data_time
        verdict = self._own_verdict(item, state, name, head)
        if verdict is not None:
            status.status, status.reason = verdict
            status.root_cause = f"{name}: {status.reason}"
            return status
        upstream = self._upstream[item.name]
        if upstream is not None:
            status.status = STALE
            status.reason = f"upstream: {upstream}"
            status.root_cause = upstream
            return status
        started = materialization.started_at if materialization is not None else None
        self._apply_checks(status, valid_since=started)
        if status.status == FRESH:
            self._apply_freshness(status)
        return status

    def _own_verdict(
        self, item: Node, state: NodeState, name: str, head: Head | None
    ) -> tuple[str, str] | None:
        materialization = head.materialization if head else None
        dataset = self.catalog.get(name)
        signature = self.signature(name)
        if signature is None and not dataset.exists():
            gone = materialization is not None
            return MISSING, "the data is gone" if gone else "never materialized"
        if head is not None and head.status == "failed":
            return FAILED, head.error or "the last run failed"
        if materialization is None:
            return MISSING, "never materialized by Aether"
        stored = self._stored_version(name, materialization.version, materialization.signature)
        if stored != materialization.version:
            return STALE, "output modified outside Aether"
        if materialization.fingerprint != state.fingerprint:
            full = self.store.heads([name])[name].materialization
            stored_parts = full.parts if full is not None else {}
            reasons = explain_changes(stored_parts, state.parts) or ["inputs changed"]
            # An input that is itself missing/failed/stale is reported as the upstream cause.
            reasons = [r for r in reasons if not self._unwell_input_reason(item, r)]
            if not reasons:
                return None
            shown = [f"code changed in {item.name}" if r == "code changed" else r for r in reasons]
            return STALE, "; ".join(shown)
        return None

    def _unwell_input_reason(self, item: Node, reason: str) -> bool:
        for name in item.dataset_inputs:
            if reason == f"input {name} has a new version":
                upstream = self.statuses.get(name)
                return upstream is not None and upstream.status != FRESH and not upstream.overdue
        return False

    def _upstream_problem(self, item: Node) -> str | None:
        for name in item.dataset_inputs:
            upstream = self.statuses.get(name)
            if upstream is not None and upstream.status != FRESH and not upstream.overdue:
                return upstream.root_cause or f"{name}: {upstream.reason}"
            producer = self.pipeline.producers.get(name)
            if upstream is None and producer is not None:  # in memory: look through it
                found = self._upstream.get(producer)
                if found is not None:
                    return found
                state = self.nodes.get(producer)
                if state is not None and state.status != FRESH and state.reason:
                    return state.reason
        return None

    def _node_verdict(self, item: Node) -> tuple[str, str | None]:
        stored = [self.statuses[o] for o in item.outputs if o in self.statuses]
        for wanted in (FAILED, MISSING, STALE):
            for status in stored:
                if status.status == wanted:
                    return wanted, f"{status.name}: {status.reason}"
        return FRESH, None

    def _apply_checks(self, status: AssetStatus, *, valid_since: float | None) -> None:
        """Current check results decide; a result older than the data it should judge
        (``valid_since``: when this version appeared) does not count: the check is pending."""
        specs = self.checks_for(status.name)
        if not specs:
            return
        latest = {r.spec_hash: r for r in self.store.latest_check_results(status.name)}
        for spec in specs:
            result = latest.get(spec.spec_hash)
            if result is not None and valid_since is not None and result.checked_at < valid_since:
                result = None
            if result is None:
                status.checks_pending.append(spec)
                continue
            status.checks.append(result)
            if not result.passed and result.severity == "error" and status.status == FRESH:
                status.status = FAILED
                status.reason = f"check {result.check} failed: {result.message}"
                status.root_cause = f"{status.name}: {status.reason}"
            elif not result.passed:
                status.warnings.append(f"check {result.check}: {result.message}")

    def _apply_freshness(self, status: AssetStatus) -> None:
        entry = self.catalog.entries.get(status.name)
        if entry is None or not entry.freshness or status.data_time is None:
            return
        age = self.now - status.data_time
        error_after = parse_duration(entry.freshness.get("error_after"), status.name, entry.where)
        warn_after = parse_duration(entry.freshness.get("warn_after"), status.name, entry.where)
        if error_after is not None and age > error_after:
            status.status = STALE
            limit = format_age(error_after)
            status.reason = f"overdue: data is {format_age(age)} old (error_after {limit})"
            status.root_cause = f"{status.name}: {status.reason}"
            status.overdue = True
        elif warn_after is not None and age > warn_after:
            status.warnings.append(
                f"data is {format_age(age)} old (warn_after {format_age(warn_after)})"
            )

    def _stored_version(
        self, name: str, version: str, signature: dict[str, Any] | None
    ) -> str | None:
        dataset = self.catalog.get(name)
        current = self.signature(name)
        if current is not None and current == signature:
            return version
        if current is None and not dataset.exists():
            return None
        content = dataset.content_hash()
        if content is None and current is None and signature is None:
            # Neither hook (a custom dataset's documented minimum): outside changes cannot
            # be seen, so Aether trusts its own record rather than rebuild on every run.
            return version
        return content or _signature_version(current)


def _racy(signature: Mapping[str, Any], observed_at: float) -> bool:
    mtime_ns = signature.get("mtime_ns")
    return isinstance(mtime_ns, int) and abs(observed_at - mtime_ns / 1e9) < RACY_SECONDS


def _signature_version(signature: Mapping[str, Any] | None) -> str:
    text = json.dumps(signature, sort_keys=True, default=str)
    return "signature:" + hashlib.sha256(text.encode()).hexdigest()[:32]
