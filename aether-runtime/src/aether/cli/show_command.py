"""``aether show RUN_ID``: what a past run read and ran, and how to run it again."""

from __future__ import annotations

import dataclasses
import json
import shlex
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aether.cli.output import print_json, print_table
from aether.errors import AetherError
from aether.insight.run_report import (
    RECENT_RUNS,
    Rerun,
    RunReport,
    find_run,
    masked_params,
    masked_record,
    rerun,
    run_report,
)
from aether.state.base import RunRecord
from aether.support.redaction import redact

if TYPE_CHECKING:
    from aether.project.context import AetherContext

SHORT_HASH = 19  # "sha256:" and 12 hex digits


def show_command(run_id: str | None, project: Path | None, env: str | None, as_json: bool) -> None:
    from aether.project.context import load_context

    ctx = load_context(project, env=env)
    with ctx.state_store() as store:
        if run_id is None:
            _list_runs(store.runs(RECENT_RUNS), as_json)
            return
        report = run_report(store, find_run(store, run_id))
    again = _rerun(report, ctx, project)
    if as_json:
        rerun_json = {"command": ["aether", "run", *again.arguments], "notes": list(again.notes)}
        print_json({**report.as_json(), "rerun": rerun_json})
        return
    print(redact("\n".join(_summary(report))))
    print()
    rows = [
        [
            node.node,
            node.status,
            _short(node.code_hash) or "",
            ", ".join(f"{i.name}@{i.made_by or _short(i.version)}" for i in node.inputs),
            ", ".join(f"{name} {_short(v)}" for name, v in node.outputs.items()) or node.error,
        ]
        for node in report.nodes
    ]
    print_table(None, ["node", "status", "code hash", "read", "wrote"], rows)
    print()
    print(redact("\n".join(_how_to_reproduce(report, again))))


def _list_runs(runs: list[RunRecord], as_json: bool) -> None:
    if as_json:
        print_json({"runs": [dataclasses.asdict(masked_record(r)) for r in runs]})
        return
    if not runs:
        print("No run recorded yet: a run is recorded once it runs a node.")
        return
    rows = [
        [
            r.run_id,
            r.status or "unfinished",
            r.pipeline,
            r.env,
            (r.git_commit or "")[:12] + ("+dirty" if r.git_dirty else ""),
        ]
        for r in runs
    ]
    print_table(None, ["run", "status", "pipeline", "env", "commit"], rows)


def _summary(report: RunReport) -> list[str]:
    record = report.record
    took = (
        f", took {record.finished_at - record.started_at:.1f}s"
        if record.finished_at is not None
        else ", did not finish (killed, or still running)"
    )
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(record.started_at))
    if record.git_commit is None:
        code = "not in a git work tree"
    else:
        code = f"git {record.git_commit[:12]}" + (
            " with uncommitted changes" if record.git_dirty else ""
        )
    lockfile = (
        f"{record.lockfile} {_short(record.lockfile_hash)}" if record.lockfile else "none found"
    )
    params = json.dumps(record.params, sort_keys=True) if record.params else "none"
    return [
        f"Run {record.run_id}: {record.status or 'unfinished'} "
        f"(pipeline {record.pipeline}, env {record.env})",
        f"  started   {started}{took}; aether-data {record.aether_version or '?'}",
        f"  code      {code}",
        f"  lockfile  {lockfile}",
        f"  params    {params}",
    ]


def _rerun(report: RunReport, shown: AetherContext, project: Path | None) -> Rerun:
    """:func:`rerun` against the configuration of the run's environment as it is now (the
    one shown if that environment is gone: then every parameter is given)."""
    from aether.assets.codehash import canonical_json
    from aether.assets.fingerprint import bounded_params
    from aether.project.context import load_context

    record = report.record
    params_now: dict[str, Any] | None = None
    ctx = shown
    try:
        if record.env != shown.env:
            ctx = load_context(project, env=record.env)
        # Compared as the run stored its own: large values hashed, secrets masked.
        plain = bounded_params(json.loads(canonical_json(dict(ctx.params))))
        params_now = masked_params(json.loads(redact(json.dumps(plain, sort_keys=True))))
    except AetherError:
        ctx = shown
    pipeline = ctx.pipelines.get(record.pipeline)
    catalog = ctx.catalog

    def is_kept(name: str, version: str) -> bool:
        from aether.datasets.files import AbstractFileDataSet
        from aether.datasets.versions import Versions

        try:
            dataset = catalog.get(name)
            if not isinstance(dataset, AbstractFileDataSet):
                return True  # not versioned here: the command itself will say
            return version in Versions(dataset).ids()
        except (AetherError, OSError):
            return True  # unknown: the command itself will say

    return rerun(
        report,
        params_now,
        [node.name for node in pipeline.nodes] if pipeline is not None else None,
        lambda name: name in catalog.entries and catalog.entries[name].versioned is not None,
        is_kept,
    )


def _how_to_reproduce(report: RunReport, again: Rerun) -> list[str]:
    record = report.record
    lines = ["To run it again on the same code and dependencies:"]
    if record.git_commit:
        lines.append(f"  git checkout {record.git_commit}")
        if record.git_dirty:
            lines.append(
                "  # the work tree had uncommitted changes then: the commit alone is not that code"
            )
    if record.lockfile == "uv.lock":
        lines.append("  uv sync --frozen")
    elif record.lockfile:
        lines.append(f"  # install from {record.lockfile} (digest {_short(record.lockfile_hash)})")
    lines += [f"  # {note}" for note in again.notes]
    lines.append("  " + shlex.join(["aether", "run", *again.arguments]))
    return lines


def _short(version: str | None) -> str | None:
    if version is None:
        return None
    return version[:SHORT_HASH] + "…" if len(version) > SHORT_HASH else version
