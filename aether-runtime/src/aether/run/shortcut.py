"""A run with nothing to do, answered without loading the project.

A tracked run after which every node it selected was fresh leaves a note beside the
evaluation it remembered (:mod:`aether.assets.memo`), keyed on what was asked (pipeline,
selection, parameter overrides). The same run asked again finds the note valid only while
that evaluation holds — nothing its verdicts depend on changed since (configuration, code,
state store, every data file, referenced environment variables, freshness limits) — and no
other run holds the project lock; it then says so at once. Anything else — a change,
``force``, a dry run, a bad runner — takes the ordinary path, which loads, validates,
evaluates (judging again only what changed) and runs. `run_pipeline()` uses this for every
caller, ``aether run`` included (see `RunRequest.answer_from_memo`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aether.engine.plan import NodeResult, NodeStatus, RunResult
from aether.project.paths import ProjectPaths
from aether.run.preparation import Selection
from aether.verdicts import Status

if TYPE_CHECKING:
    from aether.assets.memo import EvaluationMemo


def request_key(
    pipeline: str | None, overrides: Mapping[str, Any] | None, selection: Selection
) -> str:
    """The note's name for one way of asking for a run (overrides compared as values, so
    ``--params a=1,b=2`` and ``--params b=2,a=1`` share one note)."""
    asked = [pipeline, dict(overrides or {}), dataclasses.asdict(selection)]
    text = json.dumps(asked, sort_keys=True, default=repr)
    return "run-" + hashlib.sha256(text.encode()).hexdigest()[:20]


def look_first(
    project: Path | None,
    env: str | None,
    overrides: Mapping[str, Any] | None,
    key: str,
    started: float,
    *,
    answer: bool,
) -> tuple[EvaluationMemo, RunResult | None]:
    """The project's memo, looked at before it is loaded (a note is kept against what the
    run saw), and the answer if the run has nothing to do (not asked for with ``answer``
    False: a forced run runs anyway, and may leave a note for the runs after it)."""
    from aether.assets.memo import EvaluationMemo

    memo = EvaluationMemo.before_loading(project, env, overrides)
    if not answer:
        return memo, None
    return memo, nothing_to_do(memo, key, started)


def nothing_to_do(memo: EvaluationMemo, key: str, started: float) -> RunResult | None:
    """The answer of a run that would do nothing, if the last one asked the same way left
    every node it selected fresh and that evaluation still holds; None otherwise.
    (``started``: when the run was asked for, by ``time.perf_counter``: the answer's
    duration counts from then.)"""
    from aether.project.context import new_run_id

    if ProjectPaths(memo.look.root).run_lock.exists():
        return None  # a run is in progress: wait for it the ordinary way
    prior = memo.prior_now()
    note = memo.view(key, prior) if prior is not None else None
    if not isinstance(note, dict) or not isinstance(note.get("pipeline"), str):
        return None
    names = note.get("fresh_nodes")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        return None
    results = [NodeResult(name, NodeStatus.FRESH, left_alone=True) for name in names]
    return RunResult(
        new_run_id(), note["pipeline"], results, duration=time.perf_counter() - started
    )


def remember(outcome: RunResult, key: str, memo: EvaluationMemo) -> None:
    """After a tracked run that succeeded: note it if the evaluation it left remembered
    finds every node it selected fresh (``memo``: the look taken before the run loaded the
    project, so a change made while it ran never validates the note)."""
    if not outcome.results or not outcome.succeeded or outcome.check_failures:
        return
    # Racily clean files (this run's last outputs, usually) are not hashed here: the run
    # that reads the note hashes them, and a change found then makes it unused.
    prior = memo.look_again().prior_now(recheck_racy=False)
    verdicts = prior.verdicts() if prior is not None and not prior.changed else None
    if prior is None or verdicts is None:
        return
    nodes = verdicts[1]
    names = [r.name for r in outcome.results]
    if not all(name in nodes and nodes[name].status is Status.FRESH for name in names):
        return
    memo.keep_view(key, {"pipeline": outcome.pipeline, "fresh_nodes": names}, prior.token)
