"""What a source asset (one no node produces) is now: its version, and when it was first seen.

A source keeps the version last recorded while its signature holds; otherwise its content is
hashed, so a ``touch`` alone changes nothing. Data whose content hash means reading all of it
over the network (a table, an API, a remote object: ``content_hash_is_costly``) is hashed
only when ``reobserve`` is on (a run); a look (``aether status``) judges it by its signature
alone and, where it has none, takes the last observation and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from aether.assets.signatures import is_racy, signature_version
from aether.assets.status import Observation
from aether.catalog import DataCatalog
from aether.datasets.base import AbstractDataSet
from aether.state.base import SourceObservation, StateStore
from aether.support.durations import future_time_warning, is_in_future

Signature = dict[str, Any] | None


class SourceObserver:
    """Observes the sources of one evaluator, once per source, and records what is new."""

    def __init__(
        self,
        catalog: DataCatalog,
        store: StateStore,
        sources: Iterable[str],
        signature: Callable[[str], Signature],
        *,
        reobserve: bool,
    ) -> None:
        self.catalog = catalog
        self.store = store
        self.reobserve = reobserve
        self._signature = signature
        self._previous: dict[str, SourceObservation] = store.source_observations(sorted(sources))
        self._pending: dict[str, tuple[str, Signature, float]] = {}
        self._observed: dict[str, Observation] = {}
        # The signature each observed version rests on: a run compares it with the source
        # after a node read it (data changed in between is never recorded as fresh).
        self._looked_at: dict[str, Signature] = {}

    def signature_looked_at(self, name: str) -> Signature:
        """The signature ``name``'s observed version rests on (None: none, or not observed)."""
        return self._looked_at.get(name)

    def observe(self, name: str, now: float) -> Observation:
        """The source's version: the recorded one while its signature holds, else hashed."""
        if name not in self._observed:
            self._observed[name] = self._observe(name, now)
        return self._observed[name]

    def take_pending(self) -> list[tuple[str, str, Any, float]]:
        """What was newly observed and not yet stored (asset, version, signature, first
        seen: a source's data time starts when first seen), handed over to be stored."""
        pending = [(name, *observed) for name, observed in self._pending.items()]
        self._pending.clear()
        return pending

    def _observe(self, name: str, now: float) -> Observation:
        dataset = self.catalog.get(name)
        signature = self._signature(name)
        self._looked_at[name] = signature
        previous = self._previous.get(name)
        if previous is not None and is_in_future(previous.first_seen, now):
            previous = self._reanchored(previous, signature, now)
            observation = self._observe_against(name, dataset, signature, previous, now)
            return replace(observation, warning=future_time_warning("its data time"))
        return self._observe_against(name, dataset, signature, previous, now)

    def _reanchored(
        self, previous: SourceObservation, signature: Signature, now: float
    ) -> SourceObservation:
        """``previous`` with a first-seen time recorded in the future (a clock that ran
        ahead, since corrected) set back, and that correction recorded: left as it was, the
        data would look younger than it is until the clock caught up, hiding an overdue
        source for as long as the clock was ahead. The file's own modification time, where
        it is not in the future too, is the earliest the data is known to have existed;
        otherwise now."""
        mtime_ns = (signature or {}).get("mtime_ns")
        mtime = mtime_ns / 1e9 if isinstance(mtime_ns, int) else None
        first_seen = mtime if mtime is not None and mtime <= now else now
        corrected = replace(
            previous, first_seen=first_seen, observed_at=min(previous.observed_at, now)
        )
        self._previous[previous.asset] = corrected
        self._pending[previous.asset] = (previous.version, previous.signature, first_seen)
        return corrected

    def _observe_against(
        self,
        name: str,
        dataset: AbstractDataSet,
        signature: Signature,
        previous: SourceObservation | None,
        now: float,
    ) -> Observation:
        if signature is None and not dataset.exists():
            return Observation(None, None)
        if (
            previous is not None
            and signature is not None
            and signature == previous.signature
            and not is_racy(signature, previous.observed_at)
        ):
            return Observation(previous.version, previous.first_seen)
        if dataset.content_hash_is_costly and not self.reobserve:
            return _observed_cheaply(signature, previous, now)
        # Neither hook (signature, content hash): one constant version, recorded once, so
        # a source Aether cannot observe is never taken for new data on every look.
        version = dataset.content_hash() or signature_version(signature)
        if previous is not None and previous.version == version:
            if signature is None:
                return Observation(version, previous.first_seen)
            first_seen = previous.first_seen
        else:
            first_seen = now
        self._pending[name] = (version, signature, first_seen)
        return Observation(version, first_seen)


def _observed_cheaply(
    signature: Signature, previous: SourceObservation | None, now: float
) -> Observation:
    """A look at a source too costly to hash: nothing read, nothing recorded (only a run
    records what it read, so a look never leaves a version a run would not)."""
    if previous is None:
        version = signature_version(signature) if signature else "unobserved"
        return Observation(version, now, "never observed; `aether run` reads it")
    if signature is not None and signature == previous.signature:
        # The signature it was recorded with, only too recent to vouch for the content
        # (racy): the recorded version stands, as last observed; nothing says it changed.
        return Observation(
            previous.version,
            previous.first_seen,
            "as last observed: its signature is too recent to tell whether it changed since; "
            "`aether run` reads it",
        )
    if signature is not None:  # it changed: a new version, told by its signature alone
        return Observation(
            signature_version(signature),
            now,
            "changed since it was last observed; `aether run` reads it to tell whether its "
            "content did",
        )
    seen = datetime.fromtimestamp(previous.observed_at, tz=timezone.utc)
    return Observation(
        previous.version,
        previous.first_seen,
        f"as last observed {seen:%Y-%m-%d %H:%M} UTC: `aether status` does not read all of it "
        "to tell whether it changed since; `aether run` does",
    )
