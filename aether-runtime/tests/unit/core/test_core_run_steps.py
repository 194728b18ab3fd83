"""A run in named steps, each with one return type, and ``run_pipeline`` typed for callers:
``run_pipeline(...).succeeded`` type-checks, ``dry_run=True`` gives a Plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from aether.alerts import event_of
from aether.cli.run_command import print_summary
from aether.engine.plan import NodeResult, NodeStatus, Plan, RunResult
from aether.errors import PipelineError
from aether.run import RunOptions, Selection, dry_run, execute_run, prepare_run, run_pipeline
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


def test_run_pipeline_keeps_its_dry_run_flag_and_parameters(make_project) -> None:
    root = make_project("flag")

    plan = run_pipeline(root, dry_run=True, nodes=["double"])
    result = run_pipeline(root, nodes=["double"])

    assert [p.node.name for p in plan.to_run] == ["double"]
    assert result.succeeded


def test_a_bad_runner_is_refused_before_any_state(make_project) -> None:
    root = make_project("bad_runner")

    with pytest.raises(PipelineError, match="Unknown runner"):
        run_pipeline(root, runner="nope", dry_run=True)

    assert not (root / ".aether" / "state.db").exists()


def test_run_pipeline_type_checks_for_its_callers(tmp_path: Path) -> None:
    """The overloads give ``RunResult`` unless ``dry_run=True`` (mypy, on a caller's file)."""
    api = pytest.importorskip("mypy.api")
    caller = tmp_path / "caller.py"
    caller.write_text(
        "from aether import run_pipeline\n"
        "from aether.engine.plan import Plan\n"
        "ok: bool = run_pipeline('p').succeeded\n"
        "forced: bool = run_pipeline('p', 'orders', force=True, params={'a': 1}).succeeded\n"
        "plan: Plan = run_pipeline('p', dry_run=True)\n"
        "wrong: bool = run_pipeline('p', dry_run=True).succeeded\n"
    )

    out, _, status = api.run(
        [str(caller), "--no-incremental", "--follow-imports=silent", "--python-version=3.10"]
    )

    assert status == 1, out
    assert out.count("error:") == 1, out
    assert 'caller.py:6: error: "Plan" has no attribute "succeeded"' in out


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
