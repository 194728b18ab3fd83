"""A look that builds on the remembered evaluation says exactly what a look judging every
asset afresh says, whatever changed in between (aether.assets.memo). The second half holds
what a hostile review of the memo found: each case once made the two disagree."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from aether.assets.memo import EvaluationMemo
from aether.cli.status_command import status_command
from aether.errors import ConfigError
from aether.run import run_pipeline

MakeProject = Callable[..., Path]
LONG_AGO = time.time() - 3600


def _age(project: Path) -> None:
    for folder, _, names in os.walk(project):
        for path in [folder, *(os.path.join(folder, n) for n in names)]:
            os.utime(path, (LONG_AGO, LONG_AGO), follow_symlinks=False)


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
    from aether.assets.evaluation import _Pass

    project = make_project()
    assert run_pipeline(project, wait_for_lock=False).succeeded
    _age(project)
    _look(project, capsys)
    judged: list[str] = []
    judge = _Pass._judge_node

    def counted(self: _Pass, item: object) -> object:
        judged.append(item.name)  # type: ignore[attr-defined]
        return judge(self, item)  # type: ignore[arg-type]

    monkeypatch.setattr(_Pass, "_judge_node", counted)
    CHANGES["an output edited by hand"](project)  # the last node's output
    _look(project, capsys)
    assert judged == ["total"]

    judged.clear()
    CHANGES["an intermediate edited"](project)  # the first node's output: both
    _look(project, capsys)
    assert judged == ["double", "total"]


# What a hostile review found ----------------------------------------------------------------
SNEAKY = """
import os
from pathlib import Path

import pandas as pd

RAW = Path(__file__).resolve().parents[2] / "data" / "01_raw" / "numbers.csv"


def total(rows):
    RAW.write_text("n\\n40\\n")  # new source data lands after double read it,
    os.utime(RAW, (1e9, 1e9))  # with an old mtime (cp -p): not racy
    return pd.DataFrame({"total": [int(rows["n"].sum())]})
"""


def test_data_changed_while_a_run_goes_on_is_never_remembered_fresh(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(
        pipeline=lambda text: text.replace("mini.nodes.total", "mini.sneaky.total"),
        files={"src/mini/sneaky.py": SNEAKY},
    )
    _age(project)  # no project file racy: the run's evaluation is remembered
    assert run_pipeline(project, wait_for_lock=False).succeeded
    assert (project / ".aether" / "cache" / "memo-local.json").exists()

    remembered = _look(project, capsys)

    assert remembered == _afresh(project, capsys)
    assert {a["name"]: a["status"] for a in remembered}["doubled"] == "stale"


def test_a_home_folder_path_follows_whoever_looks(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(
        catalog=lambda text: text.replace("data/01_raw/numbers.csv", "~/numbers.csv")
    )
    for home, numbers in (("first", "n\n1\n"), ("second", "n\n2\n")):
        (project.parent / home).mkdir()
        (project.parent / home / "numbers.csv").write_text(numbers)
    monkeypatch.setenv("HOME", str(project.parent / "first"))
    assert run_pipeline(project, wait_for_lock=False).succeeded
    _age(project)
    _look(project, capsys)

    monkeypatch.setenv("HOME", str(project.parent / "second"))
    remembered = _look(project, capsys)

    assert remembered == _afresh(project, capsys)
    assert {a["name"]: a["status"] for a in remembered}["doubled"] == "stale"


def test_a_symlinked_conf_folder_is_watched(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project()
    shared = project.parent / "shared_base"
    (project / "conf" / "base").rename(shared)
    (project / "conf" / "base").symlink_to(shared)
    assert run_pipeline(project, wait_for_lock=False).succeeded
    _age(project)
    _look(project, capsys)

    (shared / "parameters.yml").write_text("factor: 7\n")
    os.utime(shared / "parameters.yml", (LONG_AGO + 60, LONG_AGO + 60))
    remembered = _look(project, capsys)

    assert remembered == _afresh(project, capsys)
    assert "parameter factor changed" in str(remembered)


PARTS = '''
from pathlib import Path

import pandas as pd

from aether import AbstractDataSet


class Parts(AbstractDataSet):
    """A folder of CSV parts, as docs/how-to/custom-dataset.md shows one."""

    def __init__(self, filepath):
        self.local_path = filepath

    def _load(self):
        return pd.concat(pd.read_csv(p) for p in sorted(Path(self.local_path).glob("*.csv")))

    def _save(self, data):
        Path(self.local_path).mkdir(parents=True, exist_ok=True)
        data.to_csv(Path(self.local_path) / "part-0.csv", index=False)

    def _exists(self):
        return Path(self.local_path).is_dir()

    def _describe(self):
        return {"filepath": self.local_path}

    def content_hash(self):
        return "parts:" + "".join(p.read_text() for p in sorted(Path(self.local_path).glob("*")))
'''


def test_a_custom_dataset_is_never_taken_for_a_local_file(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(
        catalog=lambda text: text.replace(
            "  type: PandasCsvDataSet\n  filepath: data/02_intermediate/doubled.csv\n",
            "  type: parts.Parts\n  filepath: data/02_intermediate/doubled\n",
        ),
        files={"src/parts.py": PARTS},
    )
    assert "parts.Parts" in (project / "conf/base/catalog.yml").read_text()
    _age(project)
    assert run_pipeline(project, wait_for_lock=False).succeeded
    _age(project)
    _look(project, capsys)

    assert not (project / ".aether" / "cache" / "memo-local.json").exists()


def test_an_unset_variable_credentials_read_is_refused_as_loading_refuses_it(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(local={"credentials.yml": "lake:\n  key: ${env:MINI_LAKE_KEY}\n"})
    monkeypatch.setenv("MINI_LAKE_KEY", "set")
    assert run_pipeline(project, wait_for_lock=False).succeeded
    _age(project)
    _look(project, capsys)

    monkeypatch.delenv("MINI_LAKE_KEY")
    with pytest.raises(ConfigError, match="MINI_LAKE_KEY"):
        _look(project, capsys)


def test_a_file_name_that_is_not_utf8_is_no_crash(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project()
    with open(os.path.join(os.fsencode(project), b"Bericht_M\xe4rz.txt"), "w"):
        pass
    assert run_pipeline(project, wait_for_lock=False).succeeded

    assert all(a["status"] == "fresh" for a in _look(project, capsys))


def test_a_code_folder_outside_the_project_is_not_walked(make_project: MakeProject) -> None:
    project = make_project()
    memo = EvaluationMemo.for_project(project, "local", "/")

    assert not memo.look.rememberable
    assert memo.prior_now() is None
