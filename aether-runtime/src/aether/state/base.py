"""The state store contract: what Aether remembers about assets between runs.

A run begins an *attempt* per node, then either commits the node's materializations (one
transaction: materializations written, heads moved, check results stored, attempt succeeded)
or fails it (heads marked failed, the previous good materialization kept so its version stays
known). Status reads heads in one bulk call. Times are UTC epoch seconds (``time.time()``).

Implementations: :class:`~aether.state.sqlite.SQLiteStateStore` (``.aether/state.db``) and
:class:`~aether.state.memory.InMemoryStateStore` (tests). Both pass the same behavioural suite.

Example::

    with SQLiteStateStore(root / ".aether" / "state.db") as store:
        store.abort_running_attempts()          # leftovers of a killed run
        attempt = store.begin_attempt(run_id, "clean_orders")
        store.record_publish_journal(journal)  # then rename the staged outputs into place
        store.commit_node(attempt, [materialization], check_results)  # clears the journal
        store.heads(["clean_orders"])["clean_orders"].materialization.version
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, TypeVar

from aether.verdicts import ReasonKind, Status, Word


class HeadStatus(Word):
    """Whether an asset's last attempt succeeded (``ok``) or failed."""

    OK = "ok"
    FAILED = "failed"


AttemptStatus = Literal["running", "succeeded", "failed", "aborted"]

_Store = TypeVar("_Store", bound="StateStore")

ABORTED_MESSAGE = "aborted: the process running it stopped before finishing (killed?)"


@dataclass(frozen=True)
class Materialization:
    """One output written by one successful node run.

    ``parts`` holds what the fingerprint was computed from (``code_hash``, ``options_hash``,
    ``params`` {key: value}, ``inputs`` {asset: version}) so a later status can say *why* it
    changed. ``version`` is the content hash, or the fingerprint when the content was not
    hashed. ``data_time`` is the oldest data time among the inputs consumed. ``columns``
    is the data's schema as the node returned it ((name, dtype) pairs), where the data had
    one (a DataFrame or an Arrow table): what a catalog page shows for formats without types.
    """

    asset: str
    node: str
    run_id: str
    started_at: float
    finished_at: float
    fingerprint: str
    parts: dict[str, Any]
    version: str
    signature: dict[str, Any] | None = None
    data_time: float | None = None
    columns: tuple[tuple[str, str], ...] | None = None


Columns = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RunRecord:
    """One tracked run that ran at least one node: what reproducing it needs besides the
    materializations it committed (their ``parts`` hold each node's code hash, parameters
    and input versions).

    Attributes:
        run_id: The run's id.
        started_at: When its first node started.
        env: The configuration environment (``conf/<env>``).
        pipeline: The pipeline it ran.
        params: The parameters as the run saw them, overrides applied (large values
            replaced by their hash, secrets masked).
        git_commit: The commit checked out, or None outside a git work tree.
        git_dirty: Whether tracked or new files differed from that commit (None: unknown).
        lockfile: The lockfile hashed (``uv.lock``...), or None if the project has none.
        lockfile_hash: Its ``sha256:`` digest.
        aether_version: The runtime's version.
        finished_at: When the run finished, or None (still running, or killed).
        status: ``succeeded`` or ``failed`` once finished, else None.
    """

    run_id: str
    started_at: float
    env: str
    pipeline: str
    params: dict[str, Any]
    git_commit: str | None = None
    git_dirty: bool | None = None
    lockfile: str | None = None
    lockfile_hash: str | None = None
    aether_version: str | None = None
    finished_at: float | None = None
    status: str | None = None


@dataclass(frozen=True)
class Head:
    """The current state of one asset.

    ``materialization`` is the last *good* one: after a failure it is kept (``status`` is
    ``failed`` and ``error`` says why), and it is None only if the asset never succeeded.
    """

    asset: str
    status: HeadStatus
    materialization: Materialization | None
    error: str | None
    updated_at: float


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one data-quality check on one asset."""

    asset: str
    check: str
    severity: str
    passed: bool
    message: str
    checked_at: float
    spec_hash: str


@dataclass(frozen=True)
class Transition:
    """An asset's status changed (for history and downtime).

    ``reason`` is the reason in words, as shown then; ``reason_kind`` is what code decides on
    (older records were classified from their words when the database was upgraded)."""

    asset: str
    status: Status
    reason: str | None
    at: float
    reason_kind: ReasonKind | None = None

    @classmethod
    def read_back(
        cls, asset: str, status: str, reason: str | None, at: float, kind: str | None
    ) -> Transition:
        """A transition as a store reads it back, its words made types again."""
        return cls(asset, Status(status), reason, at, ReasonKind(kind) if kind else None)


@dataclass(frozen=True)
class Attempt:
    """One try at running one node in one run."""

    id: int
    run_id: str
    node: str
    started_at: float
    finished_at: float | None
    status: AttemptStatus
    error: str | None


@dataclass(frozen=True)
class SourceObservation:
    """What was last seen of a source asset (one nobody produces).

    ``first_seen`` is when this ``version`` was first seen: the source's data time.
    """

    asset: str
    version: str
    signature: dict[str, Any] | None
    first_seen: float
    observed_at: float


@dataclass(frozen=True)
class PublishJournal:
    """What a node is about to publish, written before its first rename.

    ``staged`` maps each asset to its staged copy as plain data (``temporary``, ``target``,
    ...; see aether.datasets.base.Staged); ``materializations`` and ``check_results`` are what
    to commit once every rename is done. A run killed between two renames leaves this behind,
    and the next run finishes the renames and commits, or fails the assets.
    """

    attempt_id: int
    node: str
    staged: dict[str, dict[str, Any]]
    materializations: tuple[Materialization, ...]
    check_results: tuple[CheckResult, ...] = ()


class StateStore(ABC):
    """Where Aether remembers materializations, heads, checks, attempts and history."""

    @abstractmethod
    def begin_attempt(self, run_id: str, node: str) -> int:
        """Record that ``node`` starts running in ``run_id``; return the attempt id."""

    @abstractmethod
    def commit_node(
        self,
        attempt_id: int,
        materializations: Sequence[Materialization],
        check_results: Sequence[CheckResult] = (),
    ) -> None:
        """In one transaction: store the materializations and check results, point the
        assets' heads at them (status ``ok``) and mark the attempt succeeded.

        Raises StateError, with nothing written, if any part fails or the attempt is not
        running (for example it was aborted meanwhile).
        """

    @abstractmethod
    def record_run(self, record: RunRecord) -> None:
        """Remember ``record`` (a run about to run its first node); recording the same
        run id again replaces it."""

    @abstractmethod
    def finish_run(self, run_id: str, finished_at: float, status: str) -> None:
        """Mark a recorded run finished (``succeeded`` or ``failed``); unknown ids are
        ignored (a run that ran no node has no record)."""

    @abstractmethod
    def run_record(self, run_id: str) -> RunRecord | None:
        """The record of ``run_id``, or None."""

    @abstractmethod
    def runs(self, limit: int = 50) -> list[RunRecord]:
        """The latest recorded runs, newest first."""

    @abstractmethod
    def run_materializations(self, run_id: str) -> list[Materialization]:
        """Every materialization ``run_id`` committed, in the order it committed them."""

    @abstractmethod
    def materializations_of(self, asset: str, limit: int = 100) -> list[Materialization]:
        """``asset``'s materializations, newest first (its versions, and the runs that
        made them)."""

    def latest_columns(self, asset: str) -> Columns | None:
        """The columns (name, dtype) recorded with ``asset``'s current materialization, or
        None if it has none or its data had no schema."""
        head = self.heads([asset]).get(asset)
        if head is None or head.materialization is None:
            return None
        return head.materialization.columns

    @abstractmethod
    def fail_node(
        self,
        attempt_id: int,
        assets: Iterable[str],
        error: str,
        check_results: Sequence[CheckResult] = (),
    ) -> None:
        """Mark the attempt failed and the assets' heads ``failed`` with ``error``, keeping
        each head's previous good materialization; store the check results (usually the
        error-level ones that blocked publishing)."""

    @abstractmethod
    def record_publish_journal(self, journal: PublishJournal) -> None:
        """Remember what ``journal.attempt_id`` (running) is about to publish.

        ``commit_node`` and ``fail_node`` of that attempt clear it in their transaction.
        Raises StateError, with nothing written, if the attempt is not running.
        """

    @abstractmethod
    def publish_journals(self) -> list[PublishJournal]:
        """Journals left by nodes interrupted while publishing, oldest first."""

    @abstractmethod
    def discard_publish_journal(self, attempt_id: int) -> None:
        """Forget the attempt's journal (nothing happens if there is none)."""

    @abstractmethod
    def heads(
        self, assets: Iterable[str] | None = None, *, include_parts: bool = True
    ) -> dict[str, Head]:
        """The heads of ``assets`` (all when None) in one bulk read; unknown assets are
        absent from the result. ``include_parts=False`` leaves each materialization's
        ``parts`` empty, which is cheaper when only fingerprints are compared."""

    def record_looked_at(
        self,
        sources: Sequence[tuple[str, str, dict[str, Any] | None, float]],
        signatures: Sequence[tuple[str, str, str, dict[str, Any]]],
        observed_at: float,
        expected_generation: str | None,
    ) -> str | None:
        """Record what an evaluation looked at: new source observations (asset, version,
        signature, first seen) and outputs' new signatures (asset, run id, version,
        signature), as :meth:`record_source_observation` and :meth:`refresh_signature` do.

        Returns:
            The generation after these writes if it was ``expected_generation`` before them
            (nothing else was written since the evaluation read it), else None.
        """
        for name, version, signature, first_seen in sources:
            self.record_source_observation(name, version, signature, first_seen, observed_at)
        for asset, run_id, version, found in signatures:
            self.refresh_signature(asset, run_id, version, found)
        return None

    def generation(self) -> str | None:
        """A token that changes whenever anything a verdict reads changes: heads,
        materializations, check results, source observations (not history or attempts).
        None: this store cannot tell, so nothing may be reused across processes on its word."""
        return None

    @abstractmethod
    def record_transitions(self, transitions: Sequence[Transition]) -> None:
        """Append status changes to the history."""

    @abstractmethod
    def transitions(self, asset: str | None = None, since: float | None = None) -> list[Transition]:
        """The history, oldest first, optionally for one asset and from ``since`` on."""

    @abstractmethod
    def last_statuses(self) -> dict[str, str]:
        """The most recent recorded status of every asset that has a history (one query)."""

    @abstractmethod
    def abort_running_attempts(self) -> list[Attempt]:
        """Mark every ``running`` attempt ``aborted`` and return them (as now aborted).

        Call at the start of a run while holding the project lock: any attempt still
        running then belongs to a process that died.
        """

    @abstractmethod
    def abort_attempt(self, attempt_id: int, reason: str) -> None:
        """Mark one ``running`` attempt ``aborted`` with ``reason``; heads are untouched, so
        the assets keep their previous good version. An attempt no longer running is left
        as it is."""

    @abstractmethod
    def attempts(self, run_id: str | None = None) -> list[Attempt]:
        """Attempts in the order they began, optionally of one run."""

    @abstractmethod
    def record_check_results(self, check_results: Sequence[CheckResult]) -> None:
        """Store results of checks re-run on already stored data (no new materialization)."""

    @abstractmethod
    def latest_check_results(self, asset: str) -> list[CheckResult]:
        """The most recent result per check spec (``spec_hash``) of ``asset``.

        Results of specs no longer configured are included; callers match them against the
        current specs' hashes, and a current spec with no result needs to be run.
        """

    @abstractmethod
    def record_source_observation(
        self,
        asset: str,
        version: str,
        signature: dict[str, Any] | None,
        first_seen: float,
        observed_at: float | None = None,
    ) -> None:
        """Remember the source's current version and signature (replacing the previous)."""

    @abstractmethod
    def refresh_signature(
        self, asset: str, run_id: str, version: str, signature: dict[str, Any]
    ) -> None:
        """The head of ``asset`` (made by ``run_id``, content ``version``) is stored with a
        new ``signature``: the same content, rewritten or touched. A head since replaced by
        another run is left alone."""

    @abstractmethod
    def source_observations(
        self, assets: Iterable[str] | None = None
    ) -> dict[str, SourceObservation]:
        """The last observation per source asset (all when ``assets`` is None)."""

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release the store's resources."""

    def __enter__(self: _Store) -> _Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
