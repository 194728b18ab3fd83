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

One owner, data in and out: :func:`evaluate` takes the project (:class:`ProjectView`), what a
run has learned so far (:class:`RunFacts`: written by the run's tracker, only read here) and
an :class:`EvaluationCache` (what one process may reuse between passes: signatures, heads,
code hashes, source observations, and the memo of the last process), and returns a frozen
:class:`~aether.assets.status.Evaluation`. Nothing outside this module writes into the cache;
the facts are the run's, never written here.
"""

from __future__ import annotations

import time
from collections import ChainMap
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

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


@dataclass(frozen=True, eq=False)
class ProjectView:
    """What is evaluated: the project's pipeline (the union of its pipelines), its catalog,
    state store and parameters.

    Attributes:
        pipeline: The pipeline to evaluate.
        catalog: Its datasets.
        store: The state store (heads, source observations, check results).
        params: The parameter values nodes read.
        path: The project's root (code hashes follow its modules).
        reobserve: False for a look (`aether status`): data costly to hash is never read.
        assets: The catalog-declared datasets (the others live in memory).
    """

    pipeline: Pipeline
    catalog: DataCatalog
    store: StateStore
    params: Mapping[str, Any]
    path: Path
    reobserve: bool = True
    assets: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        # A set, as membership is asked per input.
        declared = frozenset(n for n in self.pipeline.datasets() if self.catalog.is_declared(n))
        object.__setattr__(self, "assets", declared)


@dataclass
class RunFacts:
    """What a run has learned so far, as data its tracker owns and passes in.

    Only the tracker writes it (through these methods); an evaluation reads it.

    Attributes:
        started: Each started node's state, its inputs as read when it started: consumers of
            its in-memory outputs are fingerprinted from this one while the run goes on.
        heads: The heads the run wrote: committed (taken as written: the run holds the
            project lock) or failed (read back).
        touched: How many times the run changed or read again each dataset: a signature
            read before its last touch is read again.
    """

    started: dict[str, NodeState] = field(default_factory=dict)
    heads: dict[str, Head | None] = field(default_factory=dict)
    touched: dict[str, int] = field(default_factory=dict)

    def node_started(self, state: NodeState) -> None:
        """A node starts with ``state``."""
        self.started[state.name] = state

    def read_again(self, names: Iterable[str]) -> None:
        """``names`` are looked at again from now on (a node is about to read them)."""
        for name in names:
            self.touched[name] = self.touched.get(name, 0) + 1

    def wrote(self, heads: Mapping[str, Head | None]) -> None:
        """The run wrote these heads."""
        self.heads.update(heads)
        self.read_again(heads)


class EvaluationCache:
    """What one process reuses between passes over one project: heads as read, signatures,
    source observations, code hashes, parsed checks, and the prior evaluation from the memo
    (first pass only). Only this module reads or writes its fields; a pass checks them
    against the run's facts (a signature read before the run touched it is read again)."""

    def __init__(self, project: ProjectView, memo: EvaluationMemo | None = None) -> None:
        self.project = project
        self.created_at = time.time()  # before anything is read
        store = project.store
        # The state store's generation is read before its heads: a change in between makes
        # the memo written from them unusable, never wrong.
        self.memo = memo
        self.generation = store.generation() if memo is not None else None
        self.prior: Prior | None = memo.prior(self.generation) if memo is not None else None
        # Parts are decoded only for the few heads whose fingerprint differs (see _why). With
        # a prior evaluation to build on, only the heads of what is judged again are read.
        self.heads: dict[str, Head | None] = {}
        self.all_heads = False
        if self.prior is None:
            self.read_all_heads()
        self.probe = StoreProbe(project.catalog)
        sources = (n for n in project.assets if n not in project.pipeline.producers)
        self.sources = SourceObserver(
            project.catalog, store, sources, self.probe.signature, reobserve=project.reobserve
        )
        # Each source's signature as observed, and when it was read (the memo keeps these).
        self.source_read: dict[str, tuple[dict[str, Any] | None, float | None]] = {}
        # Outputs whose content was found unchanged under a new signature: name -> (run id,
        # version, signature), stored by record_observations().
        self.refreshed: dict[str, tuple[str, str, dict[str, Any]]] = {}
        self.code_hashes: dict[str, str] = {}
        self.checks: dict[str, list[CheckSpec]] = {}
        self.stamps: dict[str, int] = {}  # the touch count each name was last read at
        self.now: float | None = None  # the last pass's clock

    def read_all_heads(self) -> None:
        assets = self.project.assets
        self.heads = dict(self.project.store.heads(sorted(assets), include_parts=False))
        self.all_heads = True

    def follow(self, facts: RunFacts, names: Iterable[str] | None = None) -> None:
        """Forget what was read of ``names`` (default: all the run touched) before the run
        last touched them."""
        touched = facts.touched
        wanted = touched if names is None else (n for n in names if n in touched)
        for name in wanted:
            count = touched[name]
            if self.stamps.get(name) != count:
                self.stamps[name] = count
                self.probe.forget([name])

    def head(self, facts: RunFacts, name: str) -> Head | None:
        if name in facts.heads:
            return facts.heads[name]
        if name not in self.heads and not self.all_heads:
            self.heads[name] = self.project.store.heads([name], include_parts=False).get(name)
        return self.heads.get(name)

    def checks_for(self, name: str) -> list[CheckSpec]:
        if name not in self.checks:
            entry = self.project.catalog.entries.get(name)
            raw = list(entry.checks) if entry else []
            self.checks[name] = parse_checks(name, raw, entry.where if entry else "catalog")
        return self.checks[name]

    def code_hash(self, item: Node) -> str:
        if item.code_version is not None:
            return f"code_version:{item.code_version}"
        key = item.transformation_path
        if key not in self.code_hashes:
            target = item.transformation
            path = self.project.path
            if isinstance(target, str):
                self.code_hashes[key] = code_hash_from_dotted(target, path)
            else:
                self.code_hashes[key] = code_hash(target, path)
        return self.code_hashes[key]


# Public ---------------------------------------------------------------------------------------
def evaluate(
    project: ProjectView,
    facts: RunFacts | None = None,
    *,
    cache: EvaluationCache | None = None,
    memo: EvaluationMemo | None = None,
    now: float | None = None,
) -> Evaluation:
    """Every asset's status (sources and produced ones), in one topological pass, judged at
    ``now`` (default: the last pass's clock of ``cache``, else the time now).

    Args:
        project: What to evaluate.
        facts: What the run doing this learned so far (heads it wrote, what it read again);
            read, never written.
        cache: What earlier passes in this process read (default: a new one). Passed again,
            only what the facts say moved is read again.
        memo: The last evaluation kept between processes, for a new cache (of which only
            what changed is judged again, and where this one is kept).
    """
    if cache is None:
        cache = EvaluationCache(project, memo)
    elif cache.project is not project:
        raise ValueError("evaluate(): the cache given was made for another project")
    elif memo is not None and memo is not cache.memo:
        raise ValueError("evaluate(): a cache was given with another memo than its own")
    if now is None:
        now = cache.now if cache.now is not None else time.time()
    cache.now = now
    with collection_paused():
        return _Pass(cache, facts if facts is not None else RunFacts(), now).evaluate()


def state_at_start(
    cache: EvaluationCache, facts: RunFacts, item: Node, basis: Evaluation
) -> NodeState:
    """What ``item``'s outputs would be made from as it starts during a run: its inputs read
    again (see :meth:`RunFacts.read_again`), in-memory ones as their producers started (or
    as ``basis``, the evaluation the run was planned on, found them)."""
    cache.follow(facts, item.dataset_inputs)
    running = _Pass(cache, facts, basis.now)
    running.seed(basis, facts)
    return running.node_state(item)  # the collector is left alone while a run goes on


def read_heads_ahead(cache: EvaluationCache, names: Iterable[str]) -> None:
    """Read the heads of ``names`` not read yet, in one query (a run about to start the
    nodes that write them asks for each in turn)."""
    if cache.all_heads:
        return
    wanted = sorted({name for name in names if name not in cache.heads})
    if wanted:
        found = cache.project.store.heads(wanted, include_parts=False)
        cache.heads.update({name: found.get(name) for name in wanted})


def head_now(cache: EvaluationCache, facts: RunFacts, name: str) -> Head | None:
    """The head of a stored asset: as the run wrote it, else as last read."""
    return cache.head(facts, name)


def signature_now(cache: EvaluationCache, facts: RunFacts, name: str) -> dict[str, Any] | None:
    """The dataset's physical signature, read again if the run touched it since."""
    cache.follow(facts, [name])
    return cache.probe.signature(name)


def signature_looked_at(cache: EvaluationCache, name: str) -> dict[str, Any] | None:
    """The signature a source's version was judged by (None: none)."""
    return cache.sources.signature_looked_at(name)


def checks_for(cache: EvaluationCache, name: str) -> list[CheckSpec]:
    """The parsed checks of ``name`` (parsed once per cache)."""
    return cache.checks_for(name)


def record_observations(cache: EvaluationCache) -> None:
    """Store what was newly observed of sources (their data time starts when first seen),
    and the new signatures of outputs found unchanged in content, on the last pass's clock."""
    sources = cache.sources.take_pending()
    signatures = [(name, *refreshed) for name, refreshed in cache.refreshed.items()]
    if not sources and not signatures:
        return
    memo = cache.memo
    remembered = memo.written_at_generation if memo is not None else None
    now = cache.now if cache.now is not None else time.time()
    after = cache.project.store.record_looked_at(sources, signatures, now, remembered)
    if memo is not None and after is not None:
        # Only what this evaluation saw was written since it was remembered: it stands.
        memo.restamp(after)
    for name, (run_id, _, signature) in cache.refreshed.items():
        head = cache.heads.get(name)
        if (
            head is not None
            and head.materialization is not None
            and head.materialization.run_id == run_id
        ):
            made = replace(head.materialization, signature=signature)
            cache.heads[name] = replace(head, materialization=made)
    cache.refreshed.clear()


class _Pass:
    """One evaluation pass: the verdicts it builds, over a cache and the run's facts."""

    def __init__(self, cache: EvaluationCache, facts: RunFacts, now: float) -> None:
        project = cache.project
        self.cache = cache
        self.facts = facts
        self.pipeline = project.pipeline
        self.catalog = project.catalog
        self.store = project.store
        self.assets = project.assets
        self.reobserve = project.reobserve
        self.params = project.params
        self._now = now
        self._probe = cache.probe
        self._refreshed = cache.refreshed
        self._reused_assets: frozenset[str] = frozenset()
        self._seen: dict[str, str | None] = {}  # the content found, of what was looked at
        self._statuses: dict[str, AssetStatus] = {}
        self._nodes: MutableMapping[str, NodeState] = {}
        # Per node: the first unwell thing upstream of it, seen through in-memory datasets.
        # Kept per pass so a long in-memory chain is looked through once, without recursion.
        self._upstream: dict[str, Reason | None] = {}
        # Assets whose version this look took from Aether's record, not from the data (see
        # _stored_version), and nodes whose inputs rest on such a one: why, in words. A
        # fresh verdict built on them says so (status never says a plain fresh a run denies).
        self._as_last_observed: dict[str, str] = {}
        self._unverified_nodes: dict[str, str] = {}

    def seed(self, basis: Evaluation, facts: RunFacts) -> None:
        """Node states as ``basis`` judged them, and as the run's nodes started."""
        # Looked through, not copied (this runs as every node starts); writes stay here.
        judged = cast("dict[str, NodeState]", basis.nodes)
        self._nodes = ChainMap({}, facts.started, judged)

    def evaluate(self) -> Evaluation:
        cache, facts = self.cache, self.facts
        cache.follow(facts)
        # A prior holds for the first pass only, and for no pass after the run wrote.
        prior = _Remembered.of(cache.prior) if not (facts.touched or facts.heads) else None
        cache.prior = None
        sources, reused = self._reusable(prior) if prior is not None else (frozenset(), frozenset())
        self._reused_assets = self._stored_assets_of(sources, reused)
        if prior is not None:
            self._read_heads_for(reused)
        elif not cache.all_heads:
            cache.read_all_heads()
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
        memo = self.cache.memo
        if memo is None:
            return
        data = self._data_judged_on(prior)
        if data is None:
            return
        generation = self.cache.generation
        if generation is None or self.facts.heads:  # the heads moved since: read it again
            generation = self.store.generation()
        memo.remember(
            statuses=self._statuses,
            nodes=self._nodes,
            data=data,
            seen={**(prior.versions if prior is not None else {}), **self._seen},
            generation=generation,
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
            looked = self.cache.source_read.get(name)
            if looked is None:
                looked = (self._probe.signature(name), self._probe.read_at(name))
            signature, read_at = looked
            data[name] = (path, data_signature(signature), read_at or self.cache.created_at)
        return data

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
        self.cache.heads = {name: found.get(name) for name in wanted}

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

    def _head_of(self, name: str) -> Head | None:
        return self.cache.head(self.facts, name)

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
            self.cache.code_hash(item),
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
            name, lambda: self.cache.sources.observe(name, self._now), nothing
        )
        source_read = self.cache.source_read
        if name not in source_read:  # observed once per cache: on this signature
            looked_at = self.cache.sources.signature_looked_at(name)
            source_read[name] = (looked_at, self._probe.read_at(name))
        return observed

    def checks_for(self, name: str) -> list[CheckSpec]:
        return self.cache.checks_for(name)

    def signature(self, name: str) -> dict[str, Any] | None:
        """The dataset's physical signature, read once per cache until the run touches it
        (one stat for a file)."""
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
