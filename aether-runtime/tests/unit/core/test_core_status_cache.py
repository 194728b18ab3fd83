"""``aether status`` answers from its cache only while nothing its verdicts depend on
changed: every change of data, configuration, code, state, referenced environment variable
or clock (freshness) makes it evaluate afresh, and it never answers falsely fresh."""

from __future__ import annotations

import json
import os
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from aether import redaction, status_cache
from aether.cli.status_command import status_command
from aether.run import run_pipeline

MakeProject = Callable[..., Path]
LONG_AGO = time.time() - 3600


def _age(project: Path) -> None:
    """Every file and folder as if written an hour ago: nothing is 'racy' any more."""
    for folder, _, names in os.walk(project):
        for path in [folder, *(os.path.join(folder, n) for n in names)]:
            os.utime(path, (LONG_AGO, LONG_AGO))


def _status(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = status_command(project, None, None, "--json" in args, False, False, "7d")
    return code, capsys.readouterr().out


def _cached(project: Path, form: str = "table") -> object:
    return status_cache.read(project, None, f"all-{form}", "src")


def _ran(project: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """``project`` after a run, every file aged, then a first look (which records the aged
    source's new signature in the state store, aged in turn): the next look evaluates and
    leaves an answer that the one after it can use."""
    assert run_pipeline(project, wait_for_lock=False).succeeded
    _age(project)
    _status(project, capsys)
    _age(project / ".aether")
    return project


@pytest.fixture
def built(make_project: MakeProject, capsys: pytest.CaptureFixture[str]) -> Path:
    return _ran(make_project(), capsys)


@pytest.fixture(autouse=True)
def _own_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """A registry of this test's own: a secret registered here is gone afterwards."""
    monkeypatch.setattr(redaction, "_secrets", set())
    monkeypatch.setattr(redaction, "_pattern", None)


def test_an_unchanged_project_is_answered_from_the_cache(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cached(built) is None
    first = _status(built, capsys)

    assert _cached(built) is not None
    assert _status(built, capsys) == first
    assert "3 assets: 3 fresh" in first[1]


def test_json_and_table_are_cached_apart_and_print_what_an_evaluation_prints(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evaluated = _status(built, capsys, "--json")
    cached = _status(built, capsys, "--json")

    assert _cached(built, "json") is not None and _cached(built, "table") is None
    assert cached == evaluated
    assert {a["name"] for a in json.loads(cached[1])["assets"]} == {"numbers", "doubled", "total"}


@pytest.mark.parametrize(
    "change",
    [
        "data/03_primary/total.csv",  # an output edited by hand
        "data/01_raw/numbers.csv",  # new source data
        "conf/base/parameters.yml",
        "conf/base/catalog.yml",
        "src/mini/nodes.py",
        "pyproject.toml",
    ],
)
def test_any_changed_file_it_depends_on_is_evaluated_afresh(
    built: Path, capsys: pytest.CaptureFixture[str], change: str
) -> None:
    _status(built, capsys)
    path = built / change
    text = path.read_text() if path.exists() else ""
    path.write_text(text + ("\n" if change.endswith((".yml", ".py", ".toml")) else "9\n"))
    os.utime(path, (LONG_AGO + 60, LONG_AGO + 60))  # changed, and no longer racy

    assert _cached(built) is None


def test_an_output_changed_behind_its_back_is_never_shown_fresh(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _status(built, capsys)
    total = built / "data" / "03_primary" / "total.csv"
    total.write_text("total\n-1\n")
    os.utime(total, (LONG_AGO + 60, LONG_AGO + 60))

    _, out = _status(built, capsys)

    assert "output modified outside Aether" in out


def test_a_new_module_in_the_source_folder_is_seen(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _status(built, capsys)
    (built / "src" / "mini" / "helpers.py").write_text("X = 1\n")
    _age(built)  # even with old timestamps: the folder lists one more file

    assert _cached(built) is None


def test_a_run_changes_the_state_store_and_so_the_answer(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _status(built, capsys)
    assert run_pipeline(built, force=True, wait_for_lock=False).succeeded
    _age(built)

    assert _cached(built) is None


def test_an_environment_variable_conf_reads_is_part_of_the_key(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINI_TOTAL", "total")
    project = make_project(
        catalog=lambda text: text.replace("primary/total.csv", "primary/${env:MINI_TOTAL}.csv")
    )
    _status(_ran(project, capsys), capsys)
    assert _cached(project) is not None

    monkeypatch.setenv("MINI_TOTAL", "grand_total")

    assert _cached(project) is None
    assert "the data is gone" in _status(project, capsys)[1]


def test_a_file_changed_just_before_the_look_never_validates_it(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    numbers = built / "data" / "01_raw" / "numbers.csv"
    os.utime(numbers)  # now: it may change again without its mtime moving
    _status(built, capsys)

    assert _cached(built) is None


def test_an_answer_expires_when_a_freshness_limit_would_be_crossed(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(
        catalog=lambda text: text.replace(
            "  filepath: data/03_primary/total.csv\n",
            "  filepath: data/03_primary/total.csv\n  freshness: {warn_after: 1h}\n",
        )
    )
    _status(_ran(project, capsys), capsys)
    stored = json.loads(status_cache.cache_path(project, None, "all-table").read_text())

    # The data is minutes old: the answer holds until it would be an hour old, no longer.
    assert time.time() < stored["valid_until"] <= time.time() + 3600


def test_a_dataset_that_is_not_a_local_file_is_never_cached(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    custom = """
from aether import AbstractDataSet

class Box(AbstractDataSet):
    def __init__(self, value=0):
        self.value = value
    def _load(self):
        return self.value
    def _save(self, data):
        self.value = data
    def _exists(self):
        return True
    def _describe(self):
        return {}
"""
    project = make_project(
        catalog=lambda text: text.replace(
            "  type: PandasCsvDataSet\n  filepath: data/01_raw/numbers.csv\n",
            "  type: boxes.Box\n",
        ),
        files={"src/boxes.py": textwrap.dedent(custom)},
    )
    _age(project)
    _status(project, capsys)

    assert not status_cache.cache_path(project, None, "all-table").exists()


def test_the_cache_holds_no_secret(
    built: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = json.loads(_status(built, capsys, "--json")[1])["assets"][1]["run_id"]
    redaction.register(run_id)  # shown by status: as if it were a password
    _status(built, capsys)

    text = status_cache.cache_path(built, None, "all-table").read_text()
    assert run_id not in text
    assert "***" in text


def test_a_credential_from_the_environment_leaves_no_trace_in_the_cache(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not even a hash: a short secret's hash can be guessed back."""
    project = make_project(local={"credentials.yml": "db:\n  password: ${env:MINI_PASSWORD}\n"})
    stored = []
    for value in ("first-password-value", "second-password-value"):
        monkeypatch.setenv("MINI_PASSWORD", value)
        _status(project, capsys)
        path = status_cache.cache_path(project, None, "all-table")
        stored.append(json.loads(path.read_text())["env_hash"])
        assert value not in path.read_text()

    assert stored[0] == stored[1]


def test_a_file_changed_while_the_look_ran_never_validates_its_answer(built: Path) -> None:
    """However long an evaluation takes, what changed after it began may have been read
    before the change: such a file is racy for that answer."""
    from aether.project import load_context
    from aether.status import pipeline_status

    ctx = load_context(built)
    statuses = pipeline_status(ctx, None)
    began = LONG_AGO + 1000  # a look that began long ago and took half an hour
    numbers = built / "data" / "01_raw" / "numbers.csv"
    os.utime(numbers, (began + 1800, began + 1800))  # changed while it ran
    view = {"title": "3 assets", "rows": [], "unwell": False}

    status_cache.write(ctx, "all-table", statuses, view, looked_at=began)

    assert _cached(built) is None
