"""What Aether remembers between runs: materializations, heads, checks, attempts, history."""

from aether.state.base import (
    Attempt,
    CheckResult,
    Head,
    Materialization,
    PublishJournal,
    RunRecord,
    SourceObservation,
    StateStore,
    Transition,
)
from aether.state.memory import InMemoryStateStore
from aether.state.schema import SCHEMA_VERSION
from aether.state.sqlite import SQLiteStateStore

__all__ = [
    "SCHEMA_VERSION",
    "Attempt",
    "CheckResult",
    "Head",
    "InMemoryStateStore",
    "Materialization",
    "PublishJournal",
    "RunRecord",
    "SQLiteStateStore",
    "SourceObservation",
    "StateStore",
    "Transition",
]
