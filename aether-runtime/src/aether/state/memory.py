"""A state store in dicts: the same behaviour as the SQLite one, for tests and throwaway runs."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

from aether.errors import StateError
from aether.state.base import (
    ABORTED_MESSAGE,
    Attempt,
    AttemptStatus,
    CheckResult,
    Head,
    HeadStatus,
    Materialization,
    PublishJournal,
    RunRecord,
    SourceObservation,
    StateStore,
    Transition,
)
from aether.state.journal import journal_from_json, journal_to_json
from aether.state.json_values import json_copy


class InMemoryStateStore(StateStore):
    """Keeps everything in memory; forgotten when the object goes away.

    Values are copied through JSON on the way in, as the SQLite store does, so tests see the
    same round-trip (tuples come back as lists) and unserializable values fail the same way.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._attempts: dict[int, Attempt] = {}
        self._materializations: list[Materialization] = []
        self._heads: dict[str, Head] = {}
        self._checks: list[CheckResult] = []
        self._transitions: list[Transition] = []
        self._sources: dict[str, SourceObservation] = {}
        self._journals: dict[int, PublishJournal] = {}
        self._runs: dict[str, RunRecord] = {}

    def begin_attempt(self, run_id: str, node: str) -> int:
        with self._lock:
            attempt_id = len(self._attempts) + 1
            self._attempts[attempt_id] = Attempt(
                attempt_id, run_id, node, time.time(), None, "running", None
            )
            return attempt_id

    def commit_node(
        self,
        attempt_id: int,
        materializations: Sequence[Materialization],
        check_results: Sequence[CheckResult] = (),
    ) -> None:
        with self._lock:
            attempt = self._running_attempt(attempt_id)
            # Build everything first and apply only when nothing failed: one "transaction".
            copies = [_copy_materialization(m) for m in materializations]
            now = time.time()
            self._materializations.extend(copies)
            for m in copies:
                self._heads[m.asset] = Head(m.asset, HeadStatus.OK, m, None, now)
            self._checks.extend(check_results)
            self._finish(attempt, "succeeded", None)
            self._journals.pop(attempt_id, None)

    def record_run(self, record: RunRecord) -> None:
        with self._lock:
            self._runs[record.run_id] = dataclasses.replace(
                record, params=json_copy(record.params, record.run_id)
            )

    def finish_run(self, run_id: str, finished_at: float, status: str) -> None:
        with self._lock:
            if run_id in self._runs:
                self._runs[run_id] = dataclasses.replace(
                    self._runs[run_id], finished_at=finished_at, status=status
                )

    def run_record(self, run_id: str) -> RunRecord | None:
        with self._lock:
            return self._runs.get(run_id)

    def runs(self, limit: int = 50) -> list[RunRecord]:
        with self._lock:
            newest = sorted(self._runs.values(), key=lambda r: (r.started_at, r.run_id))
            return newest[::-1][:limit]

    def run_materializations(self, run_id: str) -> list[Materialization]:
        with self._lock:
            return [m for m in self._materializations if m.run_id == run_id]

    def materializations_of(self, asset: str, limit: int = 100) -> list[Materialization]:
        with self._lock:
            return [m for m in reversed(self._materializations) if m.asset == asset][:limit]

    def fail_node(
        self,
        attempt_id: int,
        assets: Iterable[str],
        error: str,
        check_results: Sequence[CheckResult] = (),
    ) -> None:
        with self._lock:
            attempt = self._running_attempt(attempt_id)
            now = time.time()
            for asset in assets:
                previous = self._heads.get(asset)
                kept = previous.materialization if previous else None
                self._heads[asset] = Head(asset, HeadStatus.FAILED, kept, error, now)
            self._checks.extend(check_results)
            self._finish(attempt, "failed", error)
            self._journals.pop(attempt_id, None)

    def record_publish_journal(self, journal: PublishJournal) -> None:
        text = journal_to_json(journal)  # the same JSON round trip as the SQLite store
        with self._lock:
            self._running_attempt(journal.attempt_id)
            self._journals[journal.attempt_id] = journal_from_json(
                journal.attempt_id, journal.node, text
            )

    def publish_journals(self) -> list[PublishJournal]:
        with self._lock:
            return [self._journals[key] for key in sorted(self._journals)]

    def discard_publish_journal(self, attempt_id: int) -> None:
        with self._lock:
            self._journals.pop(attempt_id, None)

    def heads(
        self, assets: Iterable[str] | None = None, *, include_parts: bool = True
    ) -> dict[str, Head]:
        # Nothing to save by leaving parts out here: they are already Python objects.
        with self._lock:
            if assets is None:
                return dict(self._heads)
            return {a: self._heads[a] for a in assets if a in self._heads}

    def record_transitions(self, transitions: Sequence[Transition]) -> None:
        with self._lock:
            self._transitions.extend(transitions)

    def transitions(self, asset: str | None = None, since: float | None = None) -> list[Transition]:
        with self._lock:
            found = [
                t
                for t in self._transitions
                if (asset is None or t.asset == asset) and (since is None or t.at >= since)
            ]
        return sorted(found, key=lambda t: t.at)

    def last_statuses(self) -> dict[str, str]:
        with self._lock:
            return {t.asset: t.status for t in self._transitions}

    def abort_running_attempts(self) -> list[Attempt]:
        with self._lock:
            running = [a for a in self._attempts.values() if a.status == "running"]
            return [self._finish(a, "aborted", ABORTED_MESSAGE) for a in running]

    def abort_attempt(self, attempt_id: int, reason: str) -> None:
        with self._lock:
            attempt = self._attempts.get(attempt_id)
            if attempt is not None and attempt.status == "running":
                self._finish(attempt, "aborted", reason)

    def attempts(self, run_id: str | None = None) -> list[Attempt]:
        with self._lock:
            return [a for a in self._attempts.values() if run_id is None or a.run_id == run_id]

    def record_check_results(self, check_results: Sequence[CheckResult]) -> None:
        with self._lock:
            self._checks.extend(check_results)

    def latest_check_results(self, asset: str) -> list[CheckResult]:
        with self._lock:
            latest: dict[str, CheckResult] = {}
            for result in self._checks:
                if result.asset == asset:
                    latest.pop(result.spec_hash, None)  # keep insertion order = recency
                    latest[result.spec_hash] = result
            return list(latest.values())

    def record_source_observation(
        self,
        asset: str,
        version: str,
        signature: dict[str, Any] | None,
        first_seen: float,
        observed_at: float | None = None,
    ) -> None:
        seen = time.time() if observed_at is None else observed_at
        with self._lock:
            self._sources[asset] = SourceObservation(
                asset, version, json_copy(signature, asset), first_seen, seen
            )

    def refresh_signature(
        self, asset: str, run_id: str, version: str, signature: dict[str, Any]
    ) -> None:
        with self._lock:
            head = self._heads.get(asset)
            made = head.materialization if head else None
            if head is None or made is None or (made.run_id, made.version) != (run_id, version):
                return
            made = dataclasses.replace(made, signature=json_copy(signature, asset))
            self._heads[asset] = dataclasses.replace(head, materialization=made)

    def source_observations(
        self, assets: Iterable[str] | None = None
    ) -> dict[str, SourceObservation]:
        with self._lock:
            if assets is None:
                return dict(self._sources)
            return {a: self._sources[a] for a in assets if a in self._sources}

    def _running_attempt(self, attempt_id: int) -> Attempt:
        attempt = self._attempts.get(attempt_id)
        if attempt is None or attempt.status != "running":
            status = "unknown" if attempt is None else attempt.status
            raise StateError(
                f"Attempt {attempt_id} is {status}, not running; its results were not recorded",
                hint="run again; a run that was taken for dead had its attempts aborted",
            )
        return attempt

    def _finish(self, attempt: Attempt, status: AttemptStatus, error: str | None) -> Attempt:
        done = dataclasses.replace(attempt, status=status, finished_at=time.time(), error=error)
        self._attempts[attempt.id] = done
        return done


def _copy_materialization(m: Materialization) -> Materialization:
    if not isinstance(m.version, str) or not isinstance(m.fingerprint, str):
        raise StateError(
            f"Materialization of '{m.asset}' has no version or fingerprint; nothing was recorded",
            hint="this is a bug in the caller: every output needs a version string",
        )
    columns = None if m.columns is None else tuple((str(n), str(t)) for n, t in m.columns)
    return dataclasses.replace(
        m,
        parts=json_copy(m.parts, m.asset),
        signature=json_copy(m.signature, m.asset),
        columns=columns,
    )
