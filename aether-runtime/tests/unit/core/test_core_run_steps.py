"""A run in named steps, each with one return type, and the front door: ``run_pipeline``
takes a `RunRequest` (or keywords) and returns a `RunResult`, ``dry_run`` the `Plan`."""

from __future__ import annotations

from pathlib import Path

import pytest

from aether.alerts import event_of
from aether.cli.run_command import print_summary
from aether.engine.plan import NodeResult, NodeStatus, Plan, RunResult
from aether.errors import PipelineError
from aether.run import (
    RunOptions,
    RunRequest,
    Selection,
    dry_run,
    execute_run,
    prepare_run,
    run_pipeline,
)
from aether.state.base import Transition
from aether.verdicts import ReasonKind, Status


def test_the_steps_prepare_plan_and_execute_a_project(make_project) -> None:
    root = make_project("steps")

    setup = prepare_run(root, selection=Selection(tags=("prep",)))
    plan = dry_run(setup)
    result = execute_run(setup, RunOptions())
    again = dry_run(setup)

    assert [n.name for n in setup.selected.nodes] == ["double"]
    assert isinstance(plan, Plan) and [p.node.name for p in plan.to_run] == ["double"]
    assert isinstance(result, RunResult) and result.succeeded
    assert [(r.name, r.status) for r in result.results] == [("double", NodeStatus.SUCCEEDED)]
    assert result.statuses["doubled"].status is Status.FRESH
    assert again.to_run == []


def test_a_request_and_its_keywords_run_alike(make_project) -> None:
    root = make_project("request")
    request = RunRequest(root, selection=Selection(nodes=("double",)))

    plan = dry_run(request)
    result = run_pipeline(request)
    again = run_pipeline(root, nodes=["double"])

    assert [p.node.name for p in plan.to_run] == ["double"]
    assert [(r.name, r.status) for r in result.results] == [("double", NodeStatus.SUCCEEDED)]
    assert [(r.name, r.status) for r in again.results] == [("double", NodeStatus.FRESH)]


def test_for_project_builds_the_selection_and_options_from_keywords() -> None:
    class Listener:
        def on_event(self, event: object) -> None: ...

    heard = Listener()
    request = RunRequest.for_project(
        "p", "orders", env="prod", params={"a": 1}, nodes=["x"], from_nodes=("y",),
        tags=iter(["t"]), runner="parallel", max_workers=2, force=True, track=False,
        wait_for_lock=False, listeners=[heard], answer_from_memo=False,
    )  # fmt: skip

    assert request == RunRequest(
        "p",
        "orders",
        "prod",
        {"a": 1},
        Selection(nodes=("x",), from_nodes=("y",), tags=("t",)),
        RunOptions("parallel", 2, True, False, False, listeners=(heard,)),
        answer_from_memo=False,
    )
    assert RunRequest.for_project() == RunRequest()
    # One name given as a string is that name, not its letters.
    assert RunRequest.for_project(nodes="double").selection == Selection(nodes=("double",))


def test_the_keyword_form_is_the_request_for_project(make_project) -> None:
    root = make_project("keywords")

    result = run_pipeline(root, nodes="double", force=True)
    again = run_pipeline(RunRequest.for_project(root, nodes="double", force=True))

    assert [(r.name, r.status) for r in result.results] == [("double", NodeStatus.SUCCEEDED)]
    assert [(r.name, r.status) for r in again.results] == [("double", NodeStatus.SUCCEEDED)]


def test_dry_run_takes_the_request_options_or_its_own(make_project) -> None:
    root = make_project("dry_options")
    assert run_pipeline(root).succeeded

    assert dry_run(RunRequest(root)).to_run == []
    assert len(dry_run(RunRequest(root, options=RunOptions(force=True))).to_run) == 2
    assert len(dry_run(RunRequest(root), force=True).to_run) == 2
    assert len(dry_run(prepare_run(root), track=False).to_run) == 2


def test_the_dry_run_flag_still_works_but_is_deprecated(make_project) -> None:
    root = make_project("flag")

    with pytest.warns(DeprecationWarning, match=r"aether\.run\.dry_run"):
        plan = run_pipeline(root, dry_run=True, nodes=["double"])

    assert isinstance(plan, Plan) and [p.node.name for p in plan.to_run] == ["double"]


def test_a_request_comes_alone(make_project) -> None:
    root = make_project("alone")

    with pytest.raises(TypeError, match="RunRequest alone"):
        run_pipeline(RunRequest(root), force=True)  # type: ignore[call-overload]


def test_a_request_keeps_its_own_copy_of_the_params() -> None:
    params = {"factor": 2}
    request = RunRequest("p", params=params)
    params["factor"] = 3

    assert request.params == {"factor": 2}
    with pytest.raises(TypeError):
        request.params["factor"] = 4  # type: ignore[index]


def test_a_loaded_context_refuses_env_and_params(make_project) -> None:
    from aether.project import load_context

    context = load_context(make_project("ctx"))

    with pytest.raises(TypeError, match="load_context"):
        RunRequest(context, env="prod")
    assert run_pipeline(RunRequest(context)).succeeded


def test_a_bad_runner_is_refused_before_any_state(make_project) -> None:
    root = make_project("bad_runner")

    with pytest.raises(PipelineError, match="Unknown runner"):
        run_pipeline(root, runner="nope")
    with pytest.raises(PipelineError, match="Unknown runner"):
        dry_run(RunRequest(root, options=RunOptions(runner="nope")))

    assert not (root / ".aether" / "state.db").exists()


def test_a_library_run_with_nothing_to_do_is_answered_without_loading(
    make_project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The front door answers a no-op run from the memo note for any caller; with listeners
    it loads and runs, so they receive the run's events."""
    import os
    import time

    import aether.run.chain

    root = make_project("library_noop")
    assert run_pipeline(root).succeeded
    long_ago = time.time() - 3600
    for folder, _, names in os.walk(root):  # nothing is racy any more
        for path in [folder, *(os.path.join(folder, n) for n in names)]:
            os.utime(path, (long_ago, long_ago))
    assert run_pipeline(root).succeeded  # finds everything fresh, leaves the note
    loads: list[object] = []
    real = aether.run.chain.prepare_run
    monkeypatch.setattr(
        aether.run.chain, "prepare_run", lambda *a, **k: loads.append(a) or real(*a, **k)
    )
    events: list[object] = []

    answered = run_pipeline(root)
    heard = run_pipeline(
        root, listeners=[type("L", (), {"on_event": lambda _, e: events.append(e)})()]
    )

    assert [r.status for r in answered.results] == [NodeStatus.FRESH, NodeStatus.FRESH]
    assert len(loads) == 1  # only the run with a listener loaded the project
    assert next(type(e).__name__ for e in events) == "RunStarted" and heard.succeeded


def test_run_pipeline_type_checks_for_its_callers(tmp_path: Path) -> None:
    """The overloads give ``RunResult`` for a request and the keywords (``Plan`` for the
    deprecated ``dry_run=True``), ``Plan`` for ``dry_run()`` (mypy, on a caller's file)."""
    api = pytest.importorskip("mypy.api")
    caller = tmp_path / "caller.py"
    caller.write_text(
        "from aether import RunRequest, dry_run, run_pipeline\n"
        "from aether.engine.plan import Plan\n"
        "ok: bool = run_pipeline('p').succeeded\n"
        "forced: bool = run_pipeline('p', 'orders', force=True, params={'a': 1}).succeeded\n"
        "asked: bool = run_pipeline(RunRequest('p', 'orders')).succeeded\n"
        "plan: Plan = dry_run(RunRequest('p'))\n"
        "wrong: bool = dry_run(RunRequest('p')).succeeded\n"
    )

    out, _, status = api.run(
        [str(caller), "--no-incremental", "--follow-imports=silent", "--python-version=3.10"]
    )

    assert status == 1, out
    assert out.count("error:") == 1, out
    assert 'caller.py:7: error: "Plan" has no attribute "succeeded"' in out


def test_the_summary_lists_cut_off_nodes_but_counts_those_left_alone(capsys) -> None:
    result = RunResult(
        "r1",
        "main",
        [
            NodeResult("untouched", NodeStatus.FRESH, reason="fresh", left_alone=True),
            NodeResult("cut", NodeStatus.FRESH, reason="early cutoff: inputs unchanged"),
            NodeResult("built", NodeStatus.SUCCEEDED, 0.5, "stale: x", outputs=("x",)),
        ],
    )

    print_summary(result)
    out = capsys.readouterr().out

    assert "Run r1 of 'main': 2 fresh, 1 succeeded in" in out
    assert "untouched" not in out
    assert "cut" in out and "fresh" in out and "early cutoff" in out
    assert "NodeStatus" not in out


def test_an_alert_is_overdue_by_the_kind_of_its_reason() -> None:
    overdue = Transition("a", Status.STALE, "data is old", 1.0, ReasonKind.OVERDUE)
    stale = Transition("a", Status.STALE, "overdue: words alone decide nothing", 1.0)
    recovered = Transition("a", Status.FRESH, None, 2.0)

    assert [event_of(t) for t in (overdue, stale, recovered)] == [
        "overdue",
        "stale",
        "recovered",
    ]


def test_a_context_with_env_or_params_as_keywords_is_refused(make_project) -> None:
    """Dropping them quietly ran on other parameters than asked (a false fresh)."""
    from aether.project import load_context

    root = make_project("ctx_keywords")
    context = load_context(root)

    for extra in ({"params": {"factor": 3}}, {"env": "prod"}, {"project_path": root}):
        with pytest.raises(TypeError, match="already loaded project"):
            run_pipeline(context=context, **extra)  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"selection": None}, "RunRequest.selection must be Selection"),
        ({"pipeline": 5}, "RunRequest.pipeline must be str or None"),
        ({"options": {"force": True}}, "RunRequest.options must be RunOptions"),
    ],
)
def test_a_request_of_the_wrong_type_names_its_field(fields: dict, named: str) -> None:
    with pytest.raises(TypeError, match=named):
        RunRequest("p", **fields)


def test_a_parameter_must_be_a_plain_value(make_project) -> None:
    """A DataFrame has no faithful text form: two different ones fingerprinted alike."""
    import pandas as pd

    from aether.errors import ConfigError

    root = make_project("plain_params")

    with pytest.raises(ConfigError, match="'factor' to a DataFrame") as refused:
        run_pipeline(root, params={"factor": pd.DataFrame({"a": [1]})})
    assert refused.value.exit_code == 2
    assert run_pipeline(root, params={"factor": 3}).succeeded
