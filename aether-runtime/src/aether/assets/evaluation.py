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
  Aether's own record, trusted while ``exists()`` holds — outside changes are not seen;
- a dataset whose content hash means reading all of it over the network (a table, an API,
  a remote object: ``content_hash_is_costly``) is hashed only by a run (``reobserve``); a look
  (``aether status``) judges it by its signature alone and, where it has none, takes the last
  observation and says so.

The pipeline given is the project's (the union of all pipelines): an asset has one verdict
whichever pipeline asks.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aether.assets.checks_and_freshness import apply_checks, apply_freshness
from aether.assets.fingerprint import (
    code_hash,
    code_hash_from_dotted,
    explain_changes,
    fingerprint_of,
    node_parts,
    params_for,
)
from aether.assets.memo import DataEntry, EvaluationMemo, Prior, data_signature
from aether.assets.observation import SourceObserver
from aether.assets.probes import StoreProbe, observing_error
from aether.assets.signatures import signature_version
from aether.assets.status import AssetStatus, Evaluation, NodeState, Observation
from aether.catalog import DataCatalog
from aether.checks import CheckSpec, parse_checks
from aether.datasets.base import AbstractDataSet
from aether.datasets.files import AbstractFileDataSet
from aether.pipeline import Node, Pipeline
from aether.state.base import Head, HeadStatus, Materialization, StateStore
from aether.support.collection import collection_paused
from aether.support.durations import future_time_warning, is_in_future
from aether.verdicts import Reason, ReasonKind, Status


class AssetEvaluator:
    """Evaluates a pipeline's assets against the state store (see the module docstring).

    :meth:`evaluate` returns a frozen :class:`Evaluation`. During a run the evaluator follows
    what happens through two explicit calls: :meth:`note_running` (a node's inputs as read
    when it starts) and :meth:`refresh` (heads a node just committed).
    """

    def __init__(
        self,
        pipeline: Pipeline,
        catalog: DataCatalog,
        store: StateStore,
        params: Mapping[str, Any],
        project_path: Path,
        *,
        now: float | None = None,
        reobserve: bool = True,
        memo: EvaluationMemo | None = None,
    ) -> None:
        self._created_at = time.time()  # before anything is read
        self.pipeline = pipeline
        # False for a look (`aether status`): data that is costly to hash is never read.
        self.reobserve = reobserve
        self.catalog = catalog
        self.store = store
        self.params = params
        self.project_path = project_path
        self._now = time.time() if now is None else now
        names = pipeline.datasets()
        # The stored (catalog-declared) datasets: a set, as membership is asked per input.
        self.assets: frozenset[str] = frozenset(n for n in names if catalog.is_declared(n))
        # The state store's generation is read before its heads: a change in between makes
        # the memo written from them unusable, never wrong.
        self._memo = memo
        self._generation = store.generation() if memo is not None else None
        self._prior = memo.prior(self._generation) if memo is not None else None
        # Parts are decoded only for the few heads whose fingerprint differs (see _why). With
        # a prior evaluation to build on, only the heads of what is judged again are read.
        self._heads: dict[str, Head | None] = {}
        self._all_heads = False
        self._reused_assets: frozenset[str] = frozenset()
        self._seen: dict[str, str | None] = {}  # the content found, of what was looked at
        # Each source's signature as observed, and when it was read (the memo keeps these).
        self._source_read: dict[str, tuple[dict[str, Any] | None, float | None]] = {}
        if self._prior is None:
            self._read_all_heads()
        sources = (n for n in self.assets if n not in pipeline.producers)
        self._probe = StoreProbe(catalog)
        # Outputs whose content was found unchanged under a new signature: name -> (run id,
        # version, signature), stored by record_observations().
        self._refreshed: dict[str, tuple[str, str, dict[str, Any]]] = {}
        self._sources = SourceObserver(catalog, store, sources, self.signature, reobserve=reobserve)
        self._statuses: dict[str, AssetStatus] = {}
        self._nodes: dict[str, NodeState] = {}
        self._code_hashes: dict[str, str] = {}
        self._checks: dict[str, list[CheckSpec]] = {}
        # Per node: the first unwell thing upstream of it, seen through in-memory datasets.
        # Kept per pass so a long in-memory chain is looked through once, without recursion.
        self._upstream: dict[str, Reason | None] = {}
        # Assets whose version this look took from Aether's record, not from the data (see
        # _stored_version), and nodes whose inputs rest on such a one: why, in words. A
        # fresh verdict built on them says so (status never says a plain fresh a run denies).
        self._as_last_observed: dict[str, str] = {}
        self._unverified_nodes: dict[str, str] = {}

    # Public -------------------------------------------------------------------------------
    def evaluate(self, *, now: float | None = None) -> Evaluation:
        """Every asset's status (sources and produced ones), in one topological pass, judged
        at ``now`` (default: the clock given when the evaluator was made, or the last pass's).

        Calling it again re-evaluates from the current heads (see :meth:`refresh`), reusing
        what cannot have changed: code hashes, source observations, untouched signatures.
        """
        with collection_paused():
            return self._evaluate(now)

    def _evaluate(self, now: float | None) -> Evaluation:
        if now is not None:
            self._now = now
        prior = _Remembered.of(self._prior)
        self._prior = None  # a prior holds for the first pass only
        sources, reused = self._reusable(prior) if prior is not None else (frozenset(), frozenset())
        self._reused_assets = self._stored_assets_of(sources, reused)
        if prior is not None:
            self._read_heads_for(reused)
        elif not self._all_heads:
            self._read_all_heads()
        self._statuses, self._nodes, self._upstream = {}, {}, {}
        self._as_last_observed, self._unverified_nodes = {}, {}
        self._seen = {}
        for source in sorted(self.pipeline.free_inputs()):
            if source in self.assets:
                if prior is not None and source in sources:
                    self._statuses[source] = prior.statuses[source]
                else:
                    self._statuses[source] = self._source_status(source)
        for item in self.pipeline.toposorted():
            if prior is not None and item.name in reused:
                self._nodes[item.name] = self._reuse_node(item, prior)
            else:
                self._nodes[item.name] = self._judge_node(item)
        self._remember(prior)
        return Evaluation(self.pipeline, self.assets, self._statuses, self._nodes, self._now)

    def _reusable(self, prior: _Remembered) -> tuple[frozenset[str], frozenset[str]]:
        """The sources, and the nodes, whose verdicts the prior evaluation still gives:
        nothing they read or write changed, and nothing upstream of them is judged again."""
        sources = frozenset(
            name
            for name in self.pipeline.free_inputs()
            if name in self.assets and name in prior.statuses and name not in prior.changed
        )
        nodes: set[str] = set()
        producers, assets, changed = self.pipeline.producers, self.assets, prior.changed
        remembered, states = prior.statuses, prior.nodes
        for item in self.pipeline.toposorted():  # plain loops: this runs on every node
            if item.name not in states:
                continue
            reusable = True
            for output in item.outputs:
                if output in assets and (output not in remembered or output in changed):
                    reusable = False
                    break
            for name in item.dataset_inputs if reusable else ():
                producer = producers.get(name)
                if producer is None:
                    unchanged = name in sources or name not in assets
                else:
                    unchanged = producer in nodes
                if not unchanged:
                    reusable = False
                    break
            if reusable:
                nodes.add(item.name)
        return sources, frozenset(nodes)

    def _stored_assets_of(self, sources: frozenset[str], nodes: frozenset[str]) -> frozenset[str]:
        """The stored assets whose status this pass takes from the prior evaluation."""
        outputs = (o for name in nodes for o in self.pipeline.node(name).outputs)
        return sources | frozenset(o for o in outputs if o in self.assets)

    def _reuse_node(self, item: Node, prior: _Remembered) -> NodeState:
        for output in item.outputs:
            if output in self.assets:
                self._statuses[output] = prior.statuses[output]
        self._upstream[item.name] = self._upstream_problem(item)
        return prior.nodes[item.name]

    def _remember(self, prior: _Remembered | None) -> None:
        """Keep this pass for the next process (see aether.assets.memo), if every asset is a
        local file."""
        if self._memo is None:
            return
        data = self._data_judged_on(prior)
        if data is None:
            return
        if self._generation is None:  # the heads moved since it was read: read it again
            self._generation = self.store.generation()
        self._memo.remember(
            statuses=self._statuses,
            nodes=self._nodes,
            data=data,
            seen={**(prior.versions if prior is not None else {}), **self._seen},
            generation=self._generation,
            catalog=self.catalog,
        )

    def _data_judged_on(self, prior: _Remembered | None) -> dict[str, DataEntry] | None:
        """Each asset's file, the signature its verdict rested on (the one read when its
        source was observed, or its store probed) and when that was read; None when one is
        not a local file (only the dataset's own code can sign it)."""
        data: dict[str, DataEntry] = {}
        for name in self.assets:
            if prior is not None and name in self._reused_assets:
                data[name] = prior.data[name]
                continue
            path = _plain_local_file(self.catalog.get(name))
            if path is None:
                return None
            looked = self._source_read.get(name)
            if looked is None:
                looked = (self._probe.signature(name), self._probe.read_at(name))
            signature, read_at = looked
            data[name] = (path, data_signature(signature), read_at or self._created_at)
        return data

    def _read_all_heads(self) -> None:
        self._heads = dict(self.store.heads(sorted(self.assets), include_parts=False))
        self._all_heads = True

    def _read_heads_for(self, reused: frozenset[str]) -> None:
        """The heads of the outputs of the nodes judged again (the others come from the
        prior evaluation)."""
        wanted = [
            output
            for item in self.pipeline.nodes
            if item.name not in reused
            for output in item.outputs
            if output in self.assets
        ]
        found = self.store.heads(wanted, include_parts=False) if wanted else {}
        self._heads = {name: found.get(name) for name in wanted}

    def _judge_node(self, item: Node) -> NodeState:
        state = self.node_state(item)
        self._nodes[item.name] = state  # its in-memory outputs' consumers read this one
        self._upstream[item.name] = self._upstream_problem(item)
        inherited = self._unverified_input(item)
        if inherited is not None:
            self._unverified_nodes[item.name] = inherited
        for output in item.outputs:
            if output in self.assets:
                self._statuses[output] = self._output_status(item, state, output)
        status, reason = self._node_verdict(item)
        upstream_only = status is Status.STALE and all(
            self._statuses[o].status is Status.FRESH
            or self._statuses[o].reason_kind is ReasonKind.UPSTREAM
            for o in item.outputs
            if o in self._statuses
        )
        return NodeState(
            item.name,
            state.parts,
            state.fingerprint,
            state.data_time,
            status,
            reason,
            upstream_only,
        )

    def note_running(self, state: NodeState) -> None:
        """A node starts with ``state`` (its inputs as read now): consumers of its in-memory
        outputs are fingerprinted from this one."""
        self._nodes[state.name] = state

    def head(self, name: str) -> Head | None:
        """The head of a stored asset as last read (see :meth:`refresh`)."""
        return self._head_of(name)

    def _head_of(self, name: str) -> Head | None:
        if name not in self._heads and not self._all_heads:
            self._heads[name] = self.store.heads([name], include_parts=False).get(name)
        return self._heads.get(name)

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
        if name in self._reused_assets:  # as the prior evaluation found it: unchanged since
            status = self._statuses[name]
            return status.version, status.data_time
        if name not in self.assets:  # in memory: what its producer would make now
            producer = self.pipeline.producers.get(name)
            state = self._nodes.get(producer) if producer else None
            if state is None:
                return f"memory:{name}", None
            return f"memory:{state.fingerprint}", state.data_time
        if name not in self.pipeline.producers:
            observed = self.observe_source(name)
            return observed.version, observed.data_time
        head = self._head_of(name)
        materialization = head.materialization if head else None
        if materialization is None:
            return None, None
        made = materialization
        version = self._probe.guarded(name, lambda: self._stored_version(name, made), None)
        return version, self._made_data_time(name, made)

    def _made_data_time(self, name: str, made: Materialization) -> float | None:
        """The data time recorded when ``name`` was made, unless a clock that ran ahead put
        it in the future: then its producer's inputs' data time as judged now (set back by
        the source observer), or now. Kept, it would hide an overdue asset until the clock
        caught up."""
        if not is_in_future(made.data_time, self._now):
            return made.data_time
        producer = self._nodes.get(self.pipeline.producers.get(name, ""))
        if producer is not None and producer.data_time is not None:
            return min(producer.data_time, self._now)
        return self._now

    def observe_source(self, name: str) -> Observation:
        """The source's version: the recorded one while its signature holds, else hashed;
        none while it cannot be read."""
        nothing = Observation(None, None)
        self.signature(name)  # read once per pass: a source that cannot even be looked at
        if self._probe.failure(name) is not None:  # is not asked again (it may hang again)
            return nothing
        observed = self._probe.guarded(
            name, lambda: self._sources.observe(name, self._now), nothing
        )
        if name not in self._source_read:  # observed once per evaluator: on this signature
            looked_at = self._sources.signature_looked_at(name)
            self._source_read[name] = (looked_at, self._probe.read_at(name))
        return observed

    def source_signature_looked_at(self, name: str) -> dict[str, Any] | None:
        """The signature a source's version was judged by in this pass (None: none)."""
        return self._sources.signature_looked_at(name)

    def is_cheap_to_look_at(self, name: str) -> bool:
        """Whether a look at ``name``'s signature costs a stat, not a network call."""
        return not self.catalog.get(name).content_hash_is_costly

    def record_observations(self) -> None:
        """Store what was newly observed of sources (their data time starts when first seen),
        and the new signatures of outputs found unchanged in content."""
        sources = self._sources.take_pending()
        signatures = [(name, *refreshed) for name, refreshed in self._refreshed.items()]
        if not sources and not signatures:
            return
        remembered = self._memo.written_at_generation if self._memo is not None else None
        after = self.store.record_looked_at(sources, signatures, self._now, remembered)
        if self._memo is not None and after is not None:
            # Only what this evaluation saw was written since it was remembered: it stands.
            self._memo.restamp(after)
        for name, (run_id, _, signature) in self._refreshed.items():
            head = self._head_of(name)
            if (
                head is not None
                and head.materialization is not None
                and head.materialization.run_id == run_id
            ):
                made = replace(head.materialization, signature=signature)
                self._heads[name] = replace(head, materialization=made)
        self._refreshed.clear()

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
        """Re-read the heads of ``names`` from the store (after a node failed them)."""
        wanted = [n for n in names if n in self.assets]
        self.restat(wanted)
        if wanted:
            self._generation = None  # what the memo is kept against moved
            found = self.store.heads(wanted, include_parts=False)
            self._heads.update({name: found.get(name) for name in wanted})

    def restat(self, names: Iterable[str]) -> None:
        """Forget the signatures read of ``names``: the next look stats them again."""
        names = list(names)
        self._reused_assets -= set(names)  # read again, not as the prior evaluation found it
        self._probe.forget(names)

    def committed(self, materializations: Iterable[Materialization], at: float) -> None:
        """The heads a node of this run has just committed (status ok), taken as written
        rather than read back: the run holds the project lock, so no one else writes them."""
        self._generation = None  # what the memo is kept against moved
        for materialization in materializations:
            name = materialization.asset
            self._reused_assets -= {name}
            if name in self.assets:
                self._probe.forget([name])
                self._heads[name] = Head(name, HeadStatus.OK, materialization, None, at)

    def signature(self, name: str) -> dict[str, Any] | None:
        """The dataset's physical signature, read once per pass (one stat for a file)."""
        return self._probe.signature(name)

    # Statuses -----------------------------------------------------------------------------
    def _source_status(self, name: str) -> AssetStatus:
        observed = self.observe_source(name)
        self._seen[name] = observed.version
        failure = self._probe.failure(name)
        if failure is not None:
            return AssetStatus(name, Status.FAILED, failure)
        status = AssetStatus(
            name, Status.FRESH, version=observed.version, data_time=observed.data_time
        )
        if observed.version is None:
            return status.judged(Status.MISSING, Reason(ReasonKind.SOURCE_MISSING))
        if observed.unverified:
            self._as_last_observed[name] = observed.unverified
            status = replace(
                status, warnings=(observed.unverified,), as_last_observed=observed.unverified
            )
        if observed.warning:
            status = replace(status, warnings=(*status.warnings, observed.warning))
        status = self._apply_freshness(status)
        return self._apply_checks(status, valid_since=observed.data_time)

    def _output_status(self, item: Node, state: NodeState, name: str) -> AssetStatus:
        head = self._head_of(name)
        made = head.materialization if head else None
        verdict = self._own_verdict(item, state, name, head)
        upstream = self._upstream[item.name] if verdict is None else None
        if verdict is not None:
            word, reason = verdict
        elif upstream is not None:
            word, reason = Status.STALE, Reason(ReasonKind.UPSTREAM, {"cause": upstream})
        else:
            word, reason = Status.FRESH, None
        # Built once (no dataclasses.replace): status on 10,000 assets makes 10,000 of them.
        status = AssetStatus(
            name,
            word,
            reason,
            node=item.name,
            version=made.version if made else None,
            last_materialized=made.finished_at if made else None,
            run_id=made.run_id if made else None,
            data_time=state.data_time if made is None else self._made_data_time(name, made),
            upstream_cause=upstream,
        )
        if made is not None and is_in_future(made.data_time, self._now):
            warning = future_time_warning("its data time")
            status = replace(status, warnings=(*status.warnings, warning))
        if word is not Status.FRESH:
            return status
        unverified = self._as_last_observed.get(name) or self._unverified_nodes.get(item.name)
        if unverified is not None:
            status = replace(status, as_last_observed=unverified)
        status = self._apply_checks(status, valid_since=made.started_at if made else None)
        return self._apply_freshness(status) if status.status is Status.FRESH else status

    def _own_verdict(
        self, item: Node, state: NodeState, name: str, head: Head | None
    ) -> tuple[Status, Reason] | None:
        try:
            verdict = self._verdict_from_store(item, state, name, head)
        except Exception as error:  # a custom dataset's hook may raise anything
            self._probe.note_unreachable(name, observing_error(self.catalog, name, error))
            verdict = None
        failure = self._probe.failure(name)  # its store could not be read, now or before
        return verdict if failure is None else (Status.FAILED, failure)

    def _verdict_from_store(
        self, item: Node, state: NodeState, name: str, head: Head | None
    ) -> tuple[Status, Reason] | None:
        materialization = head.materialization if head else None
        dataset = self.catalog.get(name)
        signature = self.signature(name)
        if signature is None and not dataset.exists():
            gone = materialization is not None
            kind = ReasonKind.DATA_GONE if gone else ReasonKind.NEVER_MATERIALIZED
            return Status.MISSING, Reason(kind)
        if head is not None and head.status is HeadStatus.FAILED:
            return Status.FAILED, Reason(ReasonKind.LAST_RUN_FAILED, {"error": head.error})
        if materialization is None:
            return Status.MISSING, Reason(ReasonKind.NOT_RECORDED)
        stored = self._stored_version(name, materialization)
        self._seen[name] = stored
        if stored != materialization.version:
            return Status.STALE, Reason(ReasonKind.MODIFIED_OUTSIDE)
        if materialization.fingerprint != state.fingerprint:
            full = self.store.heads([name])[name].materialization
            stored_parts = full.parts if full is not None else {}
            reasons = explain_changes(stored_parts, state.parts, node=item.name)
            reasons = reasons or [Reason(ReasonKind.INPUTS_CHANGED)]
            # An input that is itself missing/failed/stale is reported as the upstream cause.
            reasons = [r for r in reasons if not self._unwell_input(item, r)]
            return (Status.STALE, Reason.joined(reasons)) if reasons else None
        return None

    def _unwell_input(self, item: Node, reason: Reason) -> bool:
        """Whether ``reason`` is a new version of an input that is itself not fresh."""
        if reason.kind is not ReasonKind.INPUT_NEW_VERSION:
            return False
        name = reason.details["input"]
        upstream = self._statuses.get(name) if name in item.dataset_inputs else None
        return upstream is not None and upstream.status is not Status.FRESH and not upstream.overdue

    def _upstream_problem(self, item: Node) -> Reason | None:
        for name in item.dataset_inputs:
            upstream = self._statuses.get(name)
            if (
                upstream is not None
                and upstream.status is not Status.FRESH
                and not upstream.overdue
            ):
                return upstream.root_cause
            producer = self.pipeline.producers.get(name)
            if upstream is None and producer is not None:  # in memory: look through it
                found = self._upstream.get(producer)
                if found is not None:
                    return found
                state = self._nodes.get(producer)
                if state is not None and state.status is not Status.FRESH and state.reason:
                    return state.reason
        return None

    def _unverified_input(self, item: Node) -> str | None:
        """Why an input of ``item`` was taken as last observed (here or upstream), if one was."""
        for name in item.dataset_inputs:
            note = self._as_last_observed.get(name)
            if note is not None:
                return f"{name}: {note}"
            producer = self.pipeline.producers.get(name)
            if producer is not None and producer in self._unverified_nodes:
                return self._unverified_nodes[producer]
        return None

    def _node_verdict(self, item: Node) -> tuple[Status, Reason | None]:
        stored = [self._statuses[o] for o in item.outputs if o in self._statuses]
        for wanted in (Status.FAILED, Status.MISSING, Status.STALE):
            for status in stored:
                if status.status is wanted and status.reason is not None:
                    return wanted, Reason.of_asset(status.name, status.reason)
        return Status.FRESH, None

    def _apply_checks(self, status: AssetStatus, *, valid_since: float | None) -> AssetStatus:
        specs = self.checks_for(status.name)
        if not specs:
            return status
        latest = self.store.latest_check_results(status.name)
        return apply_checks(status, specs, latest, valid_since=valid_since)

    def _apply_freshness(self, status: AssetStatus) -> AssetStatus:
        entry = self.catalog.entries.get(status.name)
        if entry is None or not entry.freshness:
            return status
        return apply_freshness(status, entry.freshness, entry.where, now=self._now)

    def _stored_version(self, name: str, made: Materialization) -> str | None:
        dataset = self.catalog.get(name)
        current = self.signature(name)
        if current is not None and current == made.signature:
            return made.version
        if current is None and not dataset.exists():
            return None
        if dataset.content_hash_is_costly and not self.reobserve:
            # A look never reads it all: a new signature tells it was modified; no signature
            # at all, that Aether's record is all there is until a run reads it — and the
            # verdict says so.
            if current is None:
                self._as_last_observed[name] = _UNREAD
                return made.version
            return signature_version(current)
        content = dataset.content_hash()
        if content is None and current is None and made.signature is None:
            # Neither hook (a custom dataset's documented minimum): outside changes cannot
            # be seen, so Aether trusts its own record rather than rebuild on every run.
            return made.version
        if content == made.version and current is not None:
            # The same content rewritten or touched: remember how it looks now, so the next
            # look does not read it all again.
            self._refreshed[name] = (made.run_id, made.version, current)
        return content or signature_version(current)


def _plain_local_file(dataset: AbstractDataSet) -> str | None:
    """The local file a dataset is, signed as Aether signs files (size, mtime, inode); None
    for anything else, a subclass that signs itself its own way included."""
    if not isinstance(dataset, AbstractFileDataSet) or dataset.content_hash_is_costly:
        return None
    if type(dataset).signature is not AbstractFileDataSet.signature:
        return None
    return dataset.local_path


@dataclass(frozen=True)
class _Remembered:
    """A prior evaluation with its verdicts read back."""

    changed: frozenset[str]
    statuses: Mapping[str, AssetStatus]
    nodes: Mapping[str, NodeState]
    data: Mapping[str, DataEntry]
    versions: Mapping[str, str | None]

    @classmethod
    def of(cls, prior: Prior | None) -> _Remembered | None:
        verdicts = prior.verdicts() if prior is not None else None
        if prior is None or verdicts is None:
            return None
        return cls(prior.changed, *verdicts, prior.data, prior.versions)


_UNREAD = (
    "`aether status` does not read all of it (no cheap signature) to tell whether it "
    "changed outside Aether; `aether run` does"
)
