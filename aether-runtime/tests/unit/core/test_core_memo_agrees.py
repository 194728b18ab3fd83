"""A look that builds on the remembered evaluation says exactly what a look judging every
asset afresh says, whatever changed in between (aether.assets.memo)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from aether.cli.status_command import status_command
from aether.run import run_pipeline

LONG_AGO = time.time() - 3600


def _age(project: Path) -> None:
    for folder, _, names in os.walk(project):
        for path in [folder, *(os.path.join(folder, n) for n in names)]:
            os.utime(path, (LONG_AGO, LONG_AGO))


def _look(project: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    status_command(project, None, None, True, False, False, "7d")
    assets: list[dict[str, object]] = json.loads(capsys.readouterr().out)["assets"]
    return assets


def _afresh(project: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    """What a look says with nothing remembered (the memo files deleted first)."""
    cache = project / ".aether" / "cache"
    for path in cache.glob("memo-*"):
        path.unlink()
    for path in cache.glob("view-*"):
        path.unlink()
    return _look(project, capsys)


def _edit(path: Path, text: str) -> None:
    path.write_text(text)
    os.utime(path, (LONG_AGO + 60, LONG_AGO + 60))  # changed, and not racy


CHANGES: dict[str, Callable[[Path], None]] = {
    "an output edited by hand": lambda p: _edit(p / "data/03_primary/total.csv", "total\n-1\n"),
    "an output touched": lambda p: os.utime(p / "data/03_primary/total.csv"),
    "an output deleted": lambda p: (p / "data/03_primary/total.csv").unlink(),
    "new source data": lambda p: _edit(p / "data/01_raw/numbers.csv", "n\n7\n"),
    "the source deleted": lambda p: (p / "data/01_raw/numbers.csv").unlink(),
    "an intermediate edited": lambda p: _edit(p / "data/02_intermediate/doubled.csv", "n\n0\n"),
    "a parameter changed": lambda p: _edit(p / "conf/base/parameters.yml", "factor: 5\n"),
    "the code changed": lambda p: _edit(
        p / "src/mini/nodes.py",
        (p / "src/mini/nodes.py").read_text().replace('"n"] * factor', '"n"] + factor'),
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_look_after_a_change_says_what_a_look_afresh_says(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str], change: str
) -> None:
    project = make_project()
    assert run_pipeline(project, wait_for_lock=False).succeeded
    _age(project)
    _look(project, capsys)  # remembered
    _age(project / ".aether")

    CHANGES[change](project)
    remembered = _look(project, capsys)

    assert remembered == _afresh(project, capsys)
    assert any(a["status"] != "fresh" for a in remembered) or change == "an output touched"


def test_a_run_after_a_look_rebuilds_what_the_look_called_stale(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project()
    assert run_pipeline(project, wait_for_lock=False).succeeded
    _age(project)
    _look(project, capsys)
    CHANGES["an intermediate edited"](project)
    stale = {a["name"] for a in _look(project, capsys) if a["status"] != "fresh"}

    result = run_pipeline(project, wait_for_lock=False)

    assert {"doubled", "total"} == stale
    # double rebuilt; total may be cut off early (double's rebuilt output is as before).
    assert "double" in {r.name for r in result.results if r.status.value == "succeeded"}
    assert all(a["status"] == "fresh" for a in _look(project, capsys))


def test_only_what_changed_and_what_depends_on_it_is_judged_again(
    make_project: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aether.assets.evaluation import AssetEvaluator

    project = make_project()
    assert run_pipeline(project, wait_for_lock=False).succeeded
    _age(project)
    _look(project, capsys)
    judged: list[str] = []
    judge = AssetEvaluator._judge_node

    def counted(self: AssetEvaluator, item: object) -> object:
        judged.append(item.name)  # type: ignore[attr-defined]
        return judge(self, item)  # type: ignore[arg-type]

    monkeypatch.setattr(AssetEvaluator, "_judge_node", counted)
    CHANGES["an output edited by hand"](project)  # the last node's output
    _look(project, capsys)
    assert judged == ["total"]

    judged.clear()
    CHANGES["an intermediate edited"](project)  # the first node's output: both
    _look(project, capsys)
    assert judged == ["double", "total"]
