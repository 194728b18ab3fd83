"""What Aether remembers between runs: materializations, heads, checks, attempts, history."""

from aether.state.base import (
    Attempt,
    CheckResult,
    Head,
    Materialization,
    SourceObservation,
    StateStore,
    Transition,
)
from aether.state.memory import InMemoryStateStore
from aether.state.sqlite import SCHEMA_VERSION, SQLiteStateStore

__all__ = [
    "SCHEMA_VERSION",
    "Attempt",
    "CheckResult",
    "Head",
    "InMemoryStateStore",
    "Materialization",
    "SQLiteStateStore",
    "SourceObservation",
    "StateStore",
    "Transition",
]
