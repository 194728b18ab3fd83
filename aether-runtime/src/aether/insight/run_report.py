"""The library side of ``aether show RUN_ID``: what a past run read and ran, from the state
store, so a data scientist can reproduce it.

A run's record (environment, pipeline, parameters, git commit and whether the tree was
dirty, lockfile digest) comes from the ``runs`` table; per node, the materializations it
committed say its code hash, the parameters it read and the version of each input it read.
An input version is named by the run that made it where the state knows one (that run id is
also the version's name for a versioned dataset: ``aether run --load-version NAME=RUN_ID``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aether.errors import ConfigError
from aether.state.base import Attempt, Materialization, RunRecord, StateStore
from aether.support.suggestions import did_you_mean

RECENT_RUNS = 50


@dataclass(frozen=True)
class InputRead:
    """One input a node read: its version, and the run that made that version (None for a
    source, or a version the state no longer knows)."""

    name: str
    version: str
    made_by: str | None


@dataclass(frozen=True)
class NodeRun:
    """What one node of the run did and read."""

    node: str
    status: str
    code_hash: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    inputs: tuple[InputRead, ...] = ()
    outputs: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class RunReport:
    """A past run: its record and its nodes in the order they started."""

    record: RunRecord
    nodes: tuple[NodeRun, ...]

    def as_json(self) -> dict[str, Any]:
        record = self.record
        return {
            "run_id": record.run_id,
            "env": record.env,
            "pipeline": record.pipeline,
            "started_at": record.started_at,
            "finished_at": record.finished_at,
            "status": record.status,
            "git": {"commit": record.git_commit, "dirty": record.git_dirty},
            "lockfile": {"name": record.lockfile, "hash": record.lockfile_hash},
            "aether_version": record.aether_version,
            "params": record.params,
            "nodes": [
                {
                    "node": n.node,
                    "status": n.status,
                    "code_hash": n.code_hash,
                    "params": dict(n.params),
                    "inputs": [
                        {"name": i.name, "version": i.version, "made_by": i.made_by}
                        for i in n.inputs
                    ],
                    "outputs": dict(n.outputs),
                    "error": n.error,
                }
                for n in self.nodes
            ],
        }


def find_run(store: StateStore, wanted: str) -> RunRecord:
    """The run ``wanted`` names: its id, or a prefix only one recorded run starts with."""
    found = store.run_record(wanted)
    if found is not None:
        return found
    recent = store.runs(RECENT_RUNS)
    matching = [r for r in recent if r.run_id.startswith(wanted)] if wanted else []
    if len(matching) == 1:
        return matching[0]
    if len(matching) > 1:
        raise ConfigError(
            f"'{wanted}' starts {len(matching)} run ids: "
            + ", ".join(r.run_id for r in matching[:5]),
            hint="give more of the run id",
        )
    ids = [r.run_id for r in recent]
    raise ConfigError(
        f"No recorded run '{wanted}' in the state store",
        hint=did_you_mean(wanted, ids)
        or (
            f"recent runs: {', '.join(ids[:3])}"
            if ids
            else "only runs that ran a node are recorded: run the pipeline first"
        ),
    )


def run_report(store: StateStore, run: RunRecord) -> RunReport:
    """What ``run`` did, node by node (committed nodes from their materializations, failed
    and aborted ones from their attempts)."""
    made = store.run_materializations(run.run_id)
    by_node: dict[str, list[Materialization]] = {}
    for m in made:
        by_node.setdefault(m.node, []).append(m)
    makers: dict[tuple[str, str], str | None] = {}
    nodes = [
        _node_run(attempt, by_node.get(attempt.node, []), store, makers)
        for attempt in store.attempts(run.run_id)
    ]
    return RunReport(run, tuple(nodes))


def _node_run(
    attempt: Attempt,
    made: list[Materialization],
    store: StateStore,
    makers: dict[tuple[str, str], str | None],
) -> NodeRun:
    if not made:
        return NodeRun(attempt.node, attempt.status, error=attempt.error)
    parts = made[0].parts
    inputs = tuple(
        InputRead(name, version, _made_by(store, name, version, makers))
        for name, version in sorted(parts.get("inputs", {}).items())
    )
    return NodeRun(
        attempt.node,
        attempt.status,
        code_hash=parts.get("code_hash"),
        params=parts.get("params", {}),
        inputs=inputs,
        outputs={m.asset: m.version for m in made},
    )


def _made_by(
    store: StateStore, asset: str, version: str, makers: dict[tuple[str, str], str | None]
) -> str | None:
    key = (asset, version)
    if key not in makers:
        makers[key] = next(
            (m.run_id for m in store.materializations_of(asset) if m.version == version), None
        )
    return makers[key]
