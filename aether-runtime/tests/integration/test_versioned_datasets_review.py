"""Versioned datasets under hostile use (review of issue 19): retention during a run that reads
an old version, versions touched by hand, and what a copy killed half way leaves behind."""

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

Aether = Callable[..., subprocess.CompletedProcess[str]]
FOLDER = Path("data") / "02_intermediate" / "doubled.csv.versions"


def versioned(keep: str) -> Callable[[str], str]:
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
