"""``aether run`` with nothing to do, answered without loading the project.

A run that found every asset fresh leaves a note in the status cache
(:mod:`aether.status_cache`), keyed on what was asked (pipeline, selection, ``--params``).
The same run asked again finds the note valid only if nothing the verdicts depend on has
changed since (configuration, code, state store, every data file, referenced environment
variables, freshness limits) and no other run holds the project lock; it then says so at
once. Anything else — a change, ``--force``, ``--dry-run``, a bad ``--runner`` — takes the
ordinary path, which loads, validates, evaluates and runs.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aether.engine.plan import NodeStatus, RunResult

if TYPE_CHECKING:
    from aether.status_cache import Look


def request_key(
    pipeline: str | None, params: str | None, selection: dict[str, tuple[str, ...]]
) -> str:
    """The cache name of one way of asking for a run."""
    asked = json.dumps([pipeline, params, sorted(selection.items())])
    return "run-" + hashlib.sha256(asked.encode()).hexdigest()[:20]


def look_first(
    project: Path | None, env: str | None, key: str, started: float, skip: bool
) -> tuple[Look | None, RunResult | None]:
    """The project's signatures, taken before it is loaded (a note is kept against what the
    run saw), and the answer if the run has nothing to do; ``skip`` (``--force``,
    ``--dry-run``): neither."""
    if skip:
        return None, None
    from aether import status_cache

    look = status_cache.look_at(project, env)
    return look, nothing_to_do(look, key, started)


def nothing_to_do(look: Look, key: str, started: float) -> RunResult | None:
    """The answer of a run that would do nothing, if the last one asked the same way found
    nothing to do and nothing ``look`` sees has changed since; None otherwise.
    (``started``: when the command started, by ``time.perf_counter``: the answer's duration
    counts from then.)"""
    from aether import status_cache
    from aether.project import new_run_id

    if (look.root / ".aether" / "run.lock").exists():
        return None  # a run is in progress: wait for it the ordinary way
    view = status_cache.answer(look, key)
    if not isinstance(view, dict) or not isinstance(view.get("pipeline"), str):
        return None
    names = view.get("fresh_nodes")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        return None
    from aether.engine.plan import NodeResult

    results = [NodeResult(name, NodeStatus.FRESH, left_alone=True) for name in names]
    return RunResult(
        new_run_id(), view["pipeline"], results, duration=time.perf_counter() - started
    )


def remember(setup: Any, outcome: RunResult, key: str, look: Look) -> None:
    """After a tracked run: note it if it found nothing to do at all (``look``: the
    project's signatures taken before the run loaded it)."""
    from aether import status_cache

    if not outcome.results or not outcome.succeeded or outcome.check_failures:
        return
    if any(r.status is not NodeStatus.FRESH or not r.left_alone for r in outcome.results):
        return
    view = {"pipeline": outcome.pipeline, "fresh_nodes": [r.name for r in outcome.results]}
    status_cache.write(setup.ctx, key, outcome.statuses.values(), view, look)
