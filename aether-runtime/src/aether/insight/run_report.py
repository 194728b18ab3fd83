"""The library side of ``aether show RUN_ID``: what a past run read and ran, from the state
store, so a data scientist can reproduce it.

A run's record (environment, pipeline, parameters, git commit and whether the tree was
dirty, lockfile digest) comes from the ``runs`` table; per node, the materializations it
committed say its code hash, the parameters it read and the version of each input it read.
An input version is named by the run that made it where the state knows one (that run id is
also the version's name for a versioned dataset: ``aether run --load-version NAME=RUN_ID``).
:func:`rerun` turns a report into the arguments of the ``aether run`` that runs it again: its
nodes, its parameters where they differ from the configuration's, and the versions it read.
Parameters named like secrets (``token:``, ``password:``) are masked in every report, as
``aether validate`` calls them secrets.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aether.errors import AetherError, ConfigError
from aether.state.base import Attempt, Materialization, RunRecord, StateStore
from aether.support.redaction import MASK, has_named_secret
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
    return RunReport(masked_record(run), tuple(nodes))


def masked_record(record: RunRecord) -> RunRecord:
    """``record`` with the values of parameters named like secrets masked."""
    return dataclasses.replace(record, params=masked_params(record.params))


def masked_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with every value under a secret's name (``token``, ``api_key``,
    ``password``...) replaced by ``***``, at any depth. The run stored what it saw; a
    secret kept in parameters (which ``aether validate`` refuses in conf/base, not in
    conf/local) must still never be printed."""
    masked: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Mapping):
            masked[key] = masked_params(value)
        elif has_named_secret({key: value}):
            masked[key] = MASK
        else:
            masked[key] = value
    return masked


@dataclass(frozen=True)
class Rerun:
    """How to run a past run again.

    Attributes:
        arguments: The arguments of ``aether run`` (after ``run``).
        notes: What the arguments cannot pin, one line each.
    """

    arguments: tuple[str, ...]
    notes: tuple[str, ...] = ()


# A parameter path --params accepts (aether.configuration.params_overrides).
_PARAM_KEY = re.compile(r"[A-Za-z0-9_\-]+")


def rerun(
    report: RunReport,
    params_now: Mapping[str, Any] | None,
    pipeline_nodes: Collection[str] | None,
    is_versioned: Callable[[str], bool],
    is_kept: Callable[[str, str], bool] = lambda name, version: True,
) -> Rerun:
    """The ``aether run`` arguments that run ``report``'s run again: only its nodes (when it
    ran part of the pipeline, ``pipeline_nodes``), each parameter whose value differs from
    ``params_now`` (the configuration's now, masked like the record; None: unknown, so
    every parameter), and ``--load-version`` for each versioned input (``is_versioned``)
    that another run made: the run read that version, the file may hold a newer one now (a
    note says when ``is_kept`` finds it removed since)."""
    record = report.record
    arguments = ["--pipeline", record.pipeline, "--env", record.env]
    notes: list[str] = []
    ran = [node.node for node in report.nodes]
    if ran and pipeline_nodes is not None and set(ran) != set(pipeline_nodes):
        arguments += ["--nodes", ",".join(ran)]
    overrides: list[str] = []
    now = dict(params_now) if params_now is not None else None
    for path, value in _leaves(record.params):
        if now is not None and _at(now, path) == value:
            continue
        key = ".".join(path)
        shown = _override_value(key, value)
        if shown is None:
            notes.append(
                f"parameter {key} cannot be given on the command line (a secret, or a large "
                f"value stored as its hash): make conf/{record.env}/parameters.yml hold the "
                "value the run read"
            )
        else:
            overrides.append(f"{key}={shown}")
    if overrides:
        arguments += ["--params", ",".join(overrides)]
    pins: dict[str, str] = {}
    for node in report.nodes:
        for read in node.inputs:
            if read.made_by and read.made_by != record.run_id and is_versioned(read.name):
                pins.setdefault(read.name, read.made_by)
    for name, version in sorted(pins.items()):
        arguments += ["--load-version", f"{name}={version}"]
        if not is_kept(name, version):
            notes.append(
                f"{name} no longer keeps version {version} (removed by retention or by hand): "
                "this command stops at it, and no other version is the data this run read"
            )
    arguments.append("--force")
    return Rerun(tuple(arguments), tuple(notes))


_ABSENT = object()


def _leaves(
    value: Mapping[str, Any], path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    for key, item in value.items():
        if isinstance(item, Mapping) and item and "$fingerprint" not in item:
            yield from _leaves(item, (*path, str(key)))
        else:
            yield (*path, str(key)), item


def _at(params: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = params
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return _ABSENT
        value = value[key]
    return value


def _override_value(key: str, value: Any) -> str | None:
    """``value`` as ``--params`` reads it back (plain where that parses to the same value,
    else JSON, which is YAML), or None if it cannot be given: masked, hashed, or a key
    --params cannot name."""
    from aether.configuration.params_overrides import parse_params_overrides

    if not all(_PARAM_KEY.fullmatch(part) for part in key.split(".")):
        return None
    text = json.dumps(value, ensure_ascii=False)
    if MASK in text or "$fingerprint" in text:
        return None
    for shown in ([value] if isinstance(value, str) else []) + [text]:
        try:
            if parse_params_overrides(f"{key}={shown}") == {key: value}:
                return str(shown)
        except AetherError:
            continue
    return None


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
