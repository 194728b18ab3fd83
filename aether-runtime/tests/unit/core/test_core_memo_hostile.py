"""What a hostile review of the evaluation memo found (aether.assets.memo): each case once
made a look built on the memo say what a look judging afresh did not."""

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
    for path in (project / ".aether" / "cache").glob("[mv][ei][me]*-*"):
        path.unlink()
    return _look(project, capsys)


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
