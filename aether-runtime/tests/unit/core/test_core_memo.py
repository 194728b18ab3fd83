"""``aether status`` answers from the remembered evaluation (aether.assets.memo) only while
nothing its verdicts depend on changed: every change of data, configuration, code, state,
referenced environment variable or clock (freshness) makes it judge again what changed, and
it never answers falsely fresh."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import aether.insight.status_report
from aether.assets import memo as memo_module
from aether.assets.memo import EvaluationMemo
from aether.cli.status_command import status_command
from aether.errors import ConfigError
from aether.run import run_pipeline
from aether.support import redaction

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
    """What a look without loading the project would print (None: it would load and judge
    again what changed)."""
    memo = EvaluationMemo.before_loading(project, None)
    prior = memo.prior_now() if memo is not None else None
    return memo.view(f"all-{form}", prior) if memo is not None and prior is not None else None


def _kept(project: Path, name: str = "memo-local.json") -> Path:
    return project / ".aether" / "cache" / name


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
    built: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _status(built, capsys)

    assert _cached(built) is not None
    monkeypatch.setattr(
        aether.insight.status_report, "pipeline_status", None
    )  # nothing is loaded or judged
    assert _status(built, capsys) == first
    assert "3 assets: 3 fresh" in first[1]


def test_json_and_table_are_cached_apart_and_print_what_an_evaluation_prints(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evaluated = _status(built, capsys, "--json")
    cached = _status(built, capsys, "--json")

    assert _cached(built, "json") is not None
    assert _cached(built, "json") != _cached(built, "table")
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


@pytest.mark.parametrize("racy", [True, False])
def test_a_file_changed_close_to_the_look_is_hashed_on_its_own(
    built: Path, capsys: pytest.CaptureFixture[str], racy: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Modified within the racy window of when its signature was taken, a file may change
    again without its signature moving (coarse timestamps): that one file is hashed, as
    git re-checks a racily clean entry; one modified long before is trusted by its
    signature (a change that keeps it on a second-resolution filesystem is out of reach)."""
    # A filesystem tick of seconds, not milliseconds: a slow machine's look stays in it.
    monkeypatch.setattr(memo_module, "FINE_RACY_SECONDS", 5.0)
    _status(built, capsys)
    total = built / "data" / "03_primary" / "total.csv"
    if racy:
        os.utime(total)  # now: just before the look that takes its signature
    _status(built, capsys)
    assert _cached(built) is not None  # unchanged in content: vouched for by its hash
    # The content changes, the signature is kept (as a coarse clock would keep it).
    index = json.loads(_kept(built).read_text())
    total.write_text("total\n-1\n")
    if not racy:
        os.utime(total, (LONG_AGO + 120, LONG_AGO + 120))
    found = os.stat(total)
    index["data"]["total"][1] = [found.st_size, found.st_mtime_ns, found.st_ino]
    _kept(built).write_text(json.dumps(index))

    if racy:
        assert _cached(built) is None
        assert "output modified outside Aether" in _status(built, capsys)[1]
    else:  # trusted by its signature, as git trusts an entry older than its index
        assert _cached(built) is not None


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
    stored = json.loads(_kept(project).read_text())

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

    assert not _kept(project).exists() and not _kept(project, "memo-local.pickle").exists()


def test_the_cache_holds_no_secret(
    built: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = json.loads(_status(built, capsys, "--json")[1])["assets"][1]["run_id"]
    redaction.register(run_id)  # shown by status: as if it were a password
    _kept(built, "view-local-all-table.json").unlink()
    _status(built, capsys)

    text = _kept(built, "view-local-all-table.json").read_text()
    assert run_id not in text
    assert "***" in text


def test_a_credential_from_the_environment_leaves_no_trace_in_the_cache(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not even a hash: a short secret's hash can be guessed back."""
    project = make_project(local={"credentials.yml": "db:\n  password: ${env:MINI_PASSWORD}\n"})
    stored = []
    _age(project)
    for value in ("first-password-value", "second-password-value"):
        monkeypatch.setenv("MINI_PASSWORD", value)
        _status(project, capsys)
        kept = b"".join(p.read_bytes() for p in sorted((project / ".aether" / "cache").iterdir()))
        stored.append(json.loads(_kept(project).read_text())["key"])
        assert value.encode() not in kept

    assert stored[0] == stored[1]


def _edit_keeping_size_and_mtime(path: Path, old: str, new: str, *, in_place: bool) -> None:
    """``old`` replaced by ``new`` (as long), the mtime set back as it was: in place (an
    editor), or written aside and renamed over it (``rsync -t``: a new inode)."""
    kept = os.stat(path)
    target = path if in_place else path.with_name(f".{path.name}.rsync")
    target.write_text(path.read_text().replace(old, new, 1))
    os.utime(target, ns=(kept.st_atime_ns, kept.st_mtime_ns))
    if not in_place:
        os.replace(target, path)
    assert os.stat(path).st_size == kept.st_size


@pytest.mark.parametrize(
    ("change", "old", "new", "seen", "in_place"),
    [
        ("conf/base/parameters.yml", "factor: 2", "factor: 3", "parameter factor changed", True),
        ("src/mini/nodes.py", '"n"] * factor', '"n"] + factor', "code changed in double", True),
        # A data file's signature is size, mtime and inode (SPEC §5): an edit in place that
        # restores the mtime keeps all three; a copy renamed over it (rsync -t) does not.
        ("data/03_primary/total.csv", "12", "13", "output modified outside Aether", False),
    ],
)
def test_a_file_edited_with_its_size_and_mtime_kept_is_evaluated_afresh(
    built: Path,
    capsys: pytest.CaptureFixture[str],
    change: str,
    old: str,
    new: str,
    seen: str,
    in_place: bool,
) -> None:
    _status(built, capsys)
    assert _cached(built) is not None

    _edit_keeping_size_and_mtime(built / change, old, new, in_place=in_place)  # ctime moves

    assert _cached(built) is None
    assert seen in _status(built, capsys)[1]


def test_a_change_made_while_the_project_is_evaluated_never_validates_the_answer(
    built: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As when a copy with an old mtime (``cp -p``, ``rsync -t``) lands mid-evaluation, or
    any edit lands during an evaluation longer than the racy window."""
    total = built / "data" / "03_primary" / "total.csv"
    evaluate = aether.insight.status_report.pipeline_status

    def evaluated_then_replaced(*args: object, **kwargs: object) -> object:
        statuses = evaluate(*args, **kwargs)  # type: ignore[arg-type]
        copy = total.with_name("copy.csv")
        copy.write_text("total\n-1\n")
        os.utime(copy, (LONG_AGO, LONG_AGO))
        os.replace(copy, total)
        return statuses

    monkeypatch.setattr(aether.insight.status_report, "pipeline_status", evaluated_then_replaced)
    numbers = built / "data" / "01_raw" / "numbers.csv"
    os.utime(numbers, (LONG_AGO + 60, LONG_AGO + 60))  # so the next look loads and judges
    assert "3 assets: 3 fresh" in _status(built, capsys)[1]
    monkeypatch.undo()

    assert "output modified outside Aether" in _status(built, capsys)[1]


@pytest.mark.parametrize(
    ("name", "edit"),
    [
        ("memo-local.json", {"valid_until": "tomorrow"}),
        ("memo-local.json", {"taken_at": None}),
        ("memo-local.json", {"extra": [{}]}),
        ("memo-local.json", {"extra": ["a\u0000b"]}),
        ("memo-local.json", {"files": None}),
        ("memo-local.json", {"data": {"total": ["x", [1, 2], None]}}),
        ("memo-local.json", {"data": {"total": 7}}),
        ("memo-local.json", {"pipelines": {"main": 3}}),
        ("memo-local.json", {"token": "another evaluation's"}),
        (
            "view-local-all-table.json",
            {"view": {"title": "3 assets", "rows": [[1]], "unwell": False}},
        ),
        ("view-local-all-table.json", {"view": {"title": "3 assets", "unwell": False}}),
        ("view-local-all-table.json", {"view": []}),
    ],
)
def test_a_hand_edited_memo_file_is_ignored_never_a_crash(
    built: Path, capsys: pytest.CaptureFixture[str], name: str, edit: dict[str, object]
) -> None:
    evaluated = _status(built, capsys)
    path = _kept(built, name)
    path.write_text(json.dumps({**json.loads(path.read_text()), **edit}))

    assert _status(built, capsys) == evaluated


@pytest.mark.parametrize(
    "name", ["memo-local.json", "memo-local.pickle", "view-local-all-table.json"]
)
@pytest.mark.parametrize("text", ["{", "[" * 100_000, "\u00ff"])
def test_a_memo_file_cut_short_or_garbled_is_ignored(
    built: Path, capsys: pytest.CaptureFixture[str], text: str, name: str
) -> None:
    evaluated = _status(built, capsys)
    _kept(built, name).write_text(text, encoding="latin-1")

    assert _status(built, capsys) == evaluated


def test_a_planted_verdicts_file_runs_no_code(
    built: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The verdicts are read back with an unpickler that builds only a verdict's classes."""
    evaluated = _status(built, capsys)
    planted = tmp_path / "planted"

    class Plant:
        def __reduce__(self) -> tuple[object, ...]:
            return (os.mkdir, (str(planted),))

    import pickle

    _kept(built, "memo-local.pickle").write_bytes(pickle.dumps({"token": "x", "p": Plant()}))
    (built / "data" / "03_primary" / "total.csv").write_text("total\n-1\n")  # judged again

    assert "output modified outside Aether" in _status(built, capsys)[1]
    assert not planted.exists()
    assert evaluated[0] == 0


def test_a_cached_answer_refuses_what_an_evaluation_refuses(
    built: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _status(built, capsys)
    assert _cached(built) is not None

    with pytest.raises(ConfigError, match="is not an Aether project"):
        status_command(built / "src", None, None, False, False, False, "7d")
    monkeypatch.setenv("AETHER_DURABILITY", "fsync-everything")
    with pytest.raises(ConfigError, match="not a durability Aether knows"):
        _status(built, capsys)


def test_another_python_evaluates_afresh(
    built: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Code hashes hash Python's syntax trees, whose shape changes between versions."""
    _status(built, capsys)
    assert _cached(built) is not None

    monkeypatch.setattr(sys.implementation, "cache_tag", "cpython-399")

    assert _cached(built) is None


def test_a_module_added_where_code_hashes_look_first_is_seen(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """With ``source_dir = "lib"``, code hashes still look in ``src/`` and the root first:
    a ``src/mini/nodes.py`` appearing there changes the verdict, not just the folder."""
    project = make_project(files={"pyproject.toml": '[tool.aether]\nsource_dir = "lib"\n'})
    (project / "src").rename(project / "lib")
    _status(_ran(project, capsys), capsys)
    assert _cached(project) is not None

    nodes = (project / "lib" / "mini" / "nodes.py").read_text()
    shadow = project / "src" / "mini" / "nodes.py"
    shadow.parent.mkdir(parents=True)
    shadow.write_text(nodes.replace('"n"] * factor', '"n"] + factor'))
    _age(project / "src")

    assert _cached(project) is None
    assert "code changed in double" in _status(project, capsys)[1]


@pytest.mark.parametrize(
    ("mtime", "read_at", "racy"),
    [
        (100.5, 100.505, True),  # nanosecond timestamps: within the kernel's tick
        (100.5, 100.7, False),  # nanosecond timestamps: read a tick or more after
        (100.0, 101.5, True),  # whole seconds: within a FAT or HFS+ tick
        (100.0, 102.5, False),
    ],
)
def test_racy_means_within_the_filesystems_tick(mtime: float, read_at: float, racy: bool) -> None:
    from aether.assets.memo import is_racy

    assert is_racy(int(mtime * 1e9), read_at) is racy
