"""Versioned datasets (`versioned: true | {keep: N}`): every save keeps a copy named by its
run beside the file, which always holds the newest; `aether catalog versions`, `aether run
--load-version NAME=ID`, `catalog.load(NAME, version=ID)`, retention, and bad input."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from aether.project import load_context

Aether = Callable[..., subprocess.CompletedProcess[str]]
FOLDER = Path("data") / "02_intermediate" / "doubled.csv.versions"


def versioned(keep: str = "true") -> Callable[[str], str]:
    def edit(catalog: str) -> str:
        return catalog.replace(
            "  filepath: data/02_intermediate/doubled.csv\n",
            f"  filepath: data/02_intermediate/doubled.csv\n  versioned: {keep}\n",
        )

    return edit


def run(aether: Aether, root: Path, *args: str) -> str:
    done = aether(root, "run", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.split("Run ", 1)[1].split()[0]


def versions(aether: Aether, root: Path) -> list[dict[str, Any]]:
    done = aether(root, "catalog", "versions", "doubled", "--json")
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout)["versions"])


def test_every_run_keeps_a_version_and_the_file_holds_the_newest(
    make_project: Callable[..., Path], aether: Aether
) -> None:
    root = make_project(catalog=versioned())
    ids = [run(aether, root, "--params", f"factor={factor}") for factor in (2, 3, 4)]

    kept = versions(aether, root)

    assert [v["id"] for v in kept] == ids[::-1]
    assert [v["current"] for v in kept] == [True, False, False]
    assert all(v["recorded"] for v in kept)
    for version, factor in zip(kept, (4, 3, 2), strict=True):
        assert pd.read_csv(version["path"])["n"].tolist() == [factor, 2 * factor, 3 * factor]
    newest = root / "data" / "02_intermediate" / "doubled.csv"
    assert newest.read_bytes() == Path(kept[0]["path"]).read_bytes()
    folder = root / "data" / "02_intermediate" / "doubled.csv.versions"
    assert Path(kept[1]["path"]) == folder / ids[1] / "doubled.csv"


def test_keep_removes_the_oldest_versions(
    make_project: Callable[..., Path], aether: Aether
) -> None:
    root = make_project(catalog=versioned("{keep: 2}"))
    ids = [run(aether, root, "--params", f"factor={factor}") for factor in (2, 3, 4, 5)]

    assert [v["id"] for v in versions(aether, root)] == [ids[3], ids[2]]
    folder = root / "data" / "02_intermediate" / "doubled.csv.versions"
    assert sorted(p.name for p in folder.iterdir()) == sorted(ids[2:])


def test_a_run_can_read_an_older_version_and_status_then_says_what_it_built_from(
    make_project: Callable[..., Path], aether: Aether
) -> None:
    root = make_project(catalog=versioned(), parameters="factor: 10\n")
    old = run(aether, root, "--params", "factor=2")
    run(aether, root)

    pinned = aether(root, "run", "--load-version", f"doubled={old}", "--nodes", "total")
    assert pinned.returncode == 0 and "changed while it was read" not in pinned.stderr

    total = pd.read_csv(root / "data" / "03_primary" / "total.csv")["total"].tolist()
    assert total == [2 + 4 + 6]  # from the old version, not from the newest (60)
    status = json.loads(aether(root, "status", "--json").stdout)
    by_name = {a["name"]: a for a in status["assets"]}
    assert by_name["total"]["status"] == "stale"  # built from a version that is not current
    assert by_name["total"]["reason"] == "input doubled has a new version"
    assert by_name["doubled"]["status"] == "fresh"
    run(aether, root)
    assert pd.read_csv(root / "data" / "03_primary" / "total.csv")["total"].tolist() == [60]


def test_a_notebook_loads_a_version_through_the_catalog(
    make_project: Callable[..., Path], aether: Aether
) -> None:
    root = make_project(catalog=versioned())
    old = run(aether, root, "--params", "factor=2")
    run(aether, root, "--params", "factor=3")
    catalog = load_context(root).catalog

    assert catalog.load("doubled", version=old)["n"].tolist() == [2, 4, 6]
    assert catalog.load("doubled")["n"].tolist() == [3, 6, 9]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--load-version", "doubled=20990101T000000Z-abcdef"), "'doubled' keeps no version"),
        (("--load-version", "total=x"), "dataset 'total' (conf/base/catalog.yml:"),
        (("--load-version", "doubld=x"), "did you mean 'doubled'?"),
        (("--load-version", "doubled"), "is not NAME=ID"),
        (("--load-version", "doubled=a", "--load-version", "doubled=b"), "names 'doubled' twice"),
    ],
)
def test_a_bad_load_version_is_one_line_and_exit_2(
    make_project: Callable[..., Path], aether: Aether, args: tuple[str, ...], expected: str
) -> None:
    root = make_project(catalog=versioned())
    run(aether, root)

    done = aether(root, "run", *args)

    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and expected in done.stderr, done.stderr


@pytest.mark.parametrize(
    ("catalog", "expected"),
    [
        (
            lambda c: c + "kept:\n  type: MemoryDataSet\n  versioned: true\n",
            "MemoryDataSet cannot keep versions",
        ),
        (versioned("{keep: 0}"), "`versioned:` must be true, false or {keep: N}"),
        (versioned("{kep: 3}"), "`versioned:` must be true, false or {keep: N}"),
        (versioned("yes please"), "`versioned:` must be true, false or {keep: N}"),
    ],
)
def test_a_bad_versioned_entry_is_refused_by_validate(
    make_project: Callable[..., Path], aether: Aether, catalog: Any, expected: str
) -> None:
    done = aether(make_project(catalog=catalog), "validate")

    assert done.returncode == 2
    assert expected in done.stderr, done.stderr


def test_a_run_killed_before_keeping_its_version_leaves_no_half_version(
    make_project: Callable[..., Path], aether: Aether
) -> None:
    root = make_project(catalog=versioned())
    first = run(aether, root, "--params", "factor=2")

    killed = aether(
        root,
        "run",
        "--params",
        "factor=3",
        env={"AETHER_TEST_CRASH_AT": "before-keeping-a-version"},
    )
    assert killed.returncode != 0
    after = run(aether, root, "--params", "factor=3")

    kept = versions(aether, root)
    assert [v["id"] for v in kept] == [after, first]
    for version in kept:
        assert pd.read_csv(version["path"])["n"].tolist()  # every one complete and readable


def test_catalog_versions_of_a_dataset_that_is_not_versioned_says_which_are(
    make_project: Callable[..., Path], aether: Aether
) -> None:
    root = make_project(catalog=versioned())

    done = aether(root, "catalog", "versions", "total")

    assert done.returncode == 2
    assert "is not versioned — versioned ones: doubled" in done.stderr


# --- under hostile use (review of issue 19): retention during a run that reads an old
# version, versions touched by hand, and what a copy killed half way leaves behind ---------


def test_a_run_reading_the_oldest_kept_version_does_not_prune_it_away(
    make_project: Callable[..., Path], aether: Aether
) -> None:
    # Without --nodes every node runs: the producer keeps a new version, and retention used
    # to remove the pinned one before the node that reads it had run ("has no version").
    root = make_project(catalog=versioned("{keep: 2}"))
    oldest = run(aether, root, "--params", "factor=2")
    run(aether, root, "--params", "factor=3")

    pinned = aether(root, "run", "--params", "factor=4", "--load-version", f"doubled={oldest}")

    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
    total = pd.read_csv(root / "data" / "03_primary" / "total.csv")["total"].tolist()
    assert total == [2 + 4 + 6]  # read from the pinned version
    # The next run's retention removes it: the pin protects a version for its run only.
    newest = run(aether, root, "--params", "factor=5")
    assert oldest not in [v["id"] for v in versions(aether, root)]
    assert next(v["id"] for v in versions(aether, root)) == newest


def test_an_old_version_touched_by_hand_stays_old_and_retention_keeps_the_newest(
    make_project: Callable[..., Path], aether: Aether
) -> None:
    root = make_project(catalog=versioned("{keep: 2}"))
    first = run(aether, root, "--params", "factor=2")
    time.sleep(1.1)  # run ids name the second a run started; within one, mtime decides
    second = run(aether, root, "--params", "factor=3")
    # A hand edit, a restore from backup or a `cp` moves the file's modification time.
    touched = root / FOLDER / first / "doubled.csv"
    os.utime(touched, (touched.stat().st_atime, touched.stat().st_mtime + 3600))

    assert [v["id"] for v in versions(aether, root)] == [second, first]
    third = run(aether, root, "--params", "factor=4")

    assert [v["id"] for v in versions(aether, root)] == [third, second]
    assert sorted(p.name for p in (root / FOLDER).iterdir()) == sorted([second, third])


def test_the_half_copy_a_killed_run_left_is_removed_by_the_next_version_kept(
    make_project: Callable[..., Path], aether: Aether
) -> None:
    root = make_project(catalog=versioned("true"))
    kept = run(aether, root, "--params", "factor=2")
    # What `kill -9` during the copy leaves: the run's folder with only the copy written aside.
    killed = root / FOLDER / "20261205T101010Z-dead00"
    killed.mkdir()
    (killed / ".doubled.csv.aether-copy").write_bytes(b"n\n2\n4")
    mine = root / FOLDER / "20261205T101011Z-mine00"
    mine.mkdir()
    (mine / "notes.txt").write_text("someone's own file")

    assert [v["id"] for v in versions(aether, root)] == [kept]  # never listed
    newest = run(aether, root, "--params", "factor=3")

    assert not killed.exists()
    assert (mine / "notes.txt").read_text() == "someone's own file"  # not ours: untouched
    assert [v["id"] for v in versions(aether, root)] == [newest, kept]


def test_a_version_edited_by_hand_is_shown_as_changed_with_what_it_holds_now(
    make_project: Callable[..., Path], aether: Aether
) -> None:
    root = make_project(catalog=versioned("true"))
    edited = run(aether, root, "--params", "factor=2")
    touched = run(aether, root, "--params", "factor=3")
    newest = run(aether, root, "--params", "factor=4")
    later = (root / FOLDER / newest / "doubled.csv").stat().st_mtime + 60
    copy = root / FOLDER / edited / "doubled.csv"
    copy.write_text("n\n999\n")
    os.utime(copy, (later, later))
    same = root / FOLDER / touched / "doubled.csv"  # only its time moved: not changed
    os.utime(same, (later, later))

    by_id = {v["id"]: v for v in versions(aether, root)}
    table = aether(root, "catalog", "versions", "doubled").stdout

    assert by_id[edited]["edited"] is True
    assert by_id[edited]["content"] == "sha256:" + hashlib.sha256(b"n\n999\n").hexdigest()
    assert by_id[touched]["edited"] is False and by_id[newest]["edited"] is False
    assert f"{edited}" in table and "changed after it was kept" in table
    assert table.count("changed after it was kept") == 1
