"""``aether run``: parse options, run, draw progress, print the summary and how to resume."""

from __future__ import annotations

import dataclasses
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from aether.cli.interrupts import signals_stop_the_run
from aether.cli.output import console, print_error, print_table, say
from aether.engine.events import NodeFinished, NodeStarted, RunEvent, RunFinished, RunStarted
from aether.engine.plan import NodeResult, NodeStatus, Plan, RunResult
from aether.errors import ConfigError, NodeFailedError, PipelineError, RunInterrupted
from aether.pipeline import Node

_STATUS_STYLE = {
    NodeStatus.SUCCEEDED.value: "green",
    NodeStatus.FAILED.value: "red",
    NodeStatus.SKIPPED.value: "yellow",
    NodeStatus.FRESH.value: "dim",
    NodeStatus.ABORTED.value: "magenta",
}


def run_command(
    *,
    project: Path | None,
    pipeline: str | None,
    env: str | None,
    params: str | None,
    nodes: str | None,
    from_nodes: str | None,
    to_nodes: str | None,
    tags: str | None,
    force: bool,
    runner: str,
    workers: int | None,
    dry_run: bool,
    no_wait: bool = False,
    load_versions: list[str] | None = None,
) -> int:
    from aether.configuration.params_overrides import parse_params_overrides
    from aether.run import RunRequest, run_pipeline
    from aether.run import dry_run as plan_only

    overrides = parse_params_overrides(params) if params else None
    selection, chosen = _selection(nodes, from_nodes, to_nodes, tags)
    progress = ProgressListener()
    request = RunRequest.for_project(
        project,
        pipeline,
        env=env,
        params=overrides,
        nodes=chosen["--nodes"],
        from_nodes=chosen["--from-nodes"],
        to_nodes=chosen["--to-nodes"],
        tags=chosen["--tags"],
        runner=runner,
        max_workers=workers,
        force=force,
        wait_for_lock=not no_wait,
        on_lock_wait=_say_who_holds,
        listeners=[progress],
        answer_from_memo=True,  # nothing to draw when nothing runs
    )
    if load_versions:
        pins = parse_load_versions(load_versions)
        request = dataclasses.replace(
            request, options=dataclasses.replace(request.options, load_versions=pins)
        )
    try:
        with signals_stop_the_run():
            if dry_run:
                print_plan(plan_only(request))
                return 0
            outcome = run_pipeline(request)
    except RunInterrupted as stop:
        progress.stop()
        print_interrupted(stop, resume_command(pipeline, env, params, selection))
        return stop.exit_code
    return report_outcome(outcome, resume_command(pipeline, env, params, selection))


def _selection(
    nodes: str | None, from_nodes: str | None, to_nodes: str | None, tags: str | None
) -> tuple[dict[str, str | None], dict[str, tuple[str, ...]]]:
    """The selection options as given, and as lists of names (checked)."""
    given = {"--nodes": nodes, "--from-nodes": from_nodes, "--to-nodes": to_nodes, "--tags": tags}
    return given, {option: tuple(_split(value, option)) for option, value in given.items()}


def parse_load_versions(values: list[str]) -> dict[str, str]:
    """``--load-version NAME=ID`` (repeatable) as {name: id}; one line and exit 2 for a
    malformed one or a name given twice."""
    pins: dict[str, str] = {}
    for value in values:
        name, sep, version = value.partition("=")
        name, version = name.strip(), version.strip()
        if not sep or not name or not version:
            raise ConfigError(
                f"--load-version {value!r} is not NAME=ID",
                hint="e.g. --load-version clean_orders=20261205T134330Z-14dcc9 "
                "(the ids: aether catalog versions NAME)",
            )
        if name in pins and pins[name] != version:
            raise ConfigError(
                f"--load-version names '{name}' twice ({pins[name]} and {version})",
                hint="give one version per dataset",
            )
        pins[name] = version
    return pins


def _say_who_holds(holder: Any) -> None:
    say(f"waiting for {holder.describe()} to finish (Ctrl-C to give up)")


def report_outcome(outcome: RunResult, resume: str) -> int:
    """The summary, the failures and how to resume; returns the exit code."""
    print_summary(outcome)
    if os.environ.get("AETHER_DEBUG"):
        for failed in outcome.failed:
            details = failed.error.details if isinstance(failed.error, NodeFailedError) else None
            if details:
                sys.stderr.write(f"--- traceback of node {failed.name} ---\n{details}")
    if outcome.exit_code == 2:  # a node broke its contract with pipeline.yml: bad input
        error = next(r.error for r in outcome.failed if r.error and r.error.exit_code == 2)
        print_error(error)
    for failure in outcome.check_failures:
        say(failure)
    if outcome.failed or outcome.aborted:
        say(f"Resume with: {resume}")
    return outcome.exit_code


def print_plan(plan: Plan) -> None:
    rows = [[p.node.name, "run", p.reason] for p in plan.to_run]
    # Shown too: status calls these stale, so a plan silent about them would contradict it.
    rows += [[p.node.name, "held back", p.reason] for p in plan.blocked]
    held = (
        f"{len(plan.blocked)} held back (a source they read failed or is missing), "
        if plan.blocked
        else ""
    )
    title = (
        f"Plan for pipeline '{plan.pipeline.name}': {len(plan.to_run)} to run, {held}"
        f"{len(plan.skipped)} fresh (left alone)"
    )
    if not rows:
        say(title + ": nothing to do.")
        return
    print_table(title, ["node", "action", "reason"], rows)


def print_summary(result: RunResult) -> None:
    rows = []
    for item in result.results:
        if item.left_alone:
            continue  # counted in the title; listing thousands of untouched nodes helps nobody
        detail = item.error.message if item.error else (item.reason or ", ".join(item.outputs))
        duration = f"{item.duration:.2f}s" if item.status is NodeStatus.SUCCEEDED else ""
        rows.append([item.name, item.status.value, duration, detail])
    counts: dict[str, int] = {}
    for item in result.results:
        counts[item.status.value] = counts.get(item.status.value, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in counts.items()) or "nothing to run"
    title = f"Run {result.run_id} of '{result.pipeline}': {summary} in {result.duration:.2f}s"
    if result.results and all(r.status is NodeStatus.FRESH for r in result.results):
        title += " (everything is fresh; --force rebuilds)"
    if not rows:
        say(title)
        return
    print_table(title, ["node", "status", "time", "detail"], rows, {1: _STATUS_STYLE})


def resume_command(
    pipeline: str | None, env: str | None, params: str | None, selection: dict[str, str | None]
) -> str:
    """The command that finishes the job: the same run again (never ``--force``).

    A tracked run skips every node whose outputs are fresh, so repeating the selection
    redoes exactly what failed or did not finish, and it always works, where
    ``--from-nodes <failed>`` would be refused when the failed node reads an in-memory
    dataset made upstream.
    """
    command = ["aether", "run"]
    options = {"--pipeline": pipeline, "--env": env, "--params": params, **selection}
    for option, value in options.items():
        if value:
            command += [option, value]
    return shlex.join(command)


def print_interrupted(stop: RunInterrupted, command: str) -> None:
    """One line: which signal stopped the run, what was marked, how to finish."""
    if stop.aborted:
        names = ", ".join(f"'{name}'" for name in stop.aborted)
        what = f"while running node(s) {names}, whose attempts were marked aborted"
    else:
        what = "before any node was running; nothing was marked"
    sys.stderr.write(
        f"error: run stopped by {stop.signal_name} {what}; the project lock was released "
        f"— to finish the job, run: {command}\n"
    )


class ProgressListener:
    """Per-node progress: live bars on a terminal, one plain line per node elsewhere; a
    listener of the run's events.

    The display refreshes on events only (no refresh thread), which keeps forking worker
    processes safe.
    """

    def __init__(self) -> None:
        self.interactive = sys.stdout.isatty()
        self._progress: Any = None
        self._overall: Any = None
        self._tasks: dict[str, Any] = {}
        self._done = 0
        self._total = 0

    def on_event(self, event: RunEvent) -> None:
        if isinstance(event, NodeFinished):
            self.node_finished(event.result)
        elif isinstance(event, NodeStarted):
            self.node_started(event.node)
        elif isinstance(event, RunStarted):
            self.run_started(event.plan)
        elif isinstance(event, RunFinished):
            self.stop()

    def run_started(self, plan: Plan) -> None:
        self._total = len(plan.to_run)
        if not self.interactive or not self._total:
            return
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console(),
            auto_refresh=False,
            transient=True,
        )
        self._progress.start()
        self._overall = self._progress.add_task(f"pipeline {plan.pipeline.name}", total=self._total)
        self._progress.refresh()

    def node_started(self, node: Node) -> None:
        if self._progress is not None:
            self._tasks[node.name] = self._progress.add_task(node.name, total=1)
            self._progress.refresh()

    def node_finished(self, result: NodeResult) -> None:
        self._done += 1
        if self._progress is not None:
            task = self._tasks.pop(result.name, None)
            if task is not None:
                self._progress.remove_task(task)
            self._progress.advance(self._overall)
            self._progress.refresh()
            return
        status = result.status.value
        if result.status is NodeStatus.SUCCEEDED:
            detail = f" in {result.duration:.2f}s"
        elif result.error is not None:  # the hint too: what to do is what the user needs
            hint = result.error.hint
            detail = f": {result.error.message}" + (f" — {hint}" if hint else "")
        else:
            detail = f": {result.reason}" if result.reason else ""
        say(f"[{self._done}/{self._total}] {result.name} {status}{detail}")

    def stop(self) -> None:
        """Take the live display down (also when the run is interrupted)."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def _split(value: str | None, option: str) -> list[str]:
    """The comma-separated names of a selection option; given but empty is refused: an
    unset shell variable (``--nodes "$NODE"``) would otherwise select every node."""
    if value is None:
        return []
    names = [part.strip() for part in value.split(",") if part.strip()]
    if not names:
        raise PipelineError(
            f"{option} was given without a name ({value!r})",
            hint=f"name at least one, e.g. {option} a,b, or leave {option} out to select "
            "every node",
        )
    return names
