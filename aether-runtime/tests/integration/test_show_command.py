"""`aether show [RUN_ID]`: what a past run read and ran (its commit, lockfile, parameters, and
per node the code hash and the run that made each input it read), from the state store."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Aether = Callable[..., subprocess.CompletedProcess[str]]


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


@pytest.fixture
def two_runs(make_project: Callable[..., Path], aether: Aether) -> tuple[Path, str, str]:
    root = make_project(
        files={"uv.lock": "version = 1\n", ".gitignore": "data/\n.aether/\n__pycache__/\n"}
    )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    ids = []
    for params in ("factor=2", "factor=3"):
        done = aether(root, "run", "--params", params)
        assert done.returncode == 0, done.stderr
        ids.append(done.stdout.split("Run ", 1)[1].split()[0])
    return root, ids[0], ids[1]


def shown(aether: Aether, root: Path, *args: str) -> dict[str, Any]:
    done = aether(root, "show", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_run_shows_its_commit_lockfile_parameters_and_what_each_node_read(
    two_runs: tuple[Path, str, str], aether: Aether
) -> None:
    root, first, second = two_runs

    report = shown(aether, root, second)

    assert report["run_id"] == second and report["status"] == "succeeded"
    assert report["git"] == {"commit": git(root, "rev-parse", "HEAD"), "dirty": False}
    assert report["lockfile"]["name"] == "uv.lock"
    assert report["params"] == {"factor": 3}
    double, total = report["nodes"]
    assert (double["node"], double["params"]) == ("double", {"factor": 3})
    assert [(i["name"], i["made_by"]) for i in double["inputs"]] == [("numbers", None)]
    assert [(i["name"], i["made_by"]) for i in total["inputs"]] == [("doubled", second)]
    assert double["code_hash"].startswith("sha256:")
    first_report = shown(aether, root, first)
    assert first_report["nodes"][1]["inputs"][0]["made_by"] == first


def test_the_text_says_how_to_run_it_again(two_runs: tuple[Path, str, str], aether: Aether) -> None:
    root, _, second = two_runs

    done = aether(root, "show", second)

    assert done.returncode == 0, done.stderr
    assert f"Run {second}: succeeded (pipeline main, env local)" in done.stdout
    assert f"git checkout {git(root, 'rev-parse', 'HEAD')}" in done.stdout
    assert "uv sync --frozen" in done.stdout
    assert f"doubled@{second}" in done.stdout


def test_a_unique_start_of_the_id_is_enough_and_a_shared_one_is_refused(
    two_runs: tuple[Path, str, str], aether: Aether
) -> None:
    root, first, second = two_runs
    common = next(i for i in range(len(first)) if first[i] != second[i])

    assert shown(aether, root, second[: common + 1])["run_id"] == second
    ambiguous = aether(root, "show", first[:common])
    assert ambiguous.returncode == 2
    assert ambiguous.stderr.startswith(f"error: '{first[:common]}' starts 2 run ids")


def test_an_unknown_run_is_one_line_naming_the_nearest(
    two_runs: tuple[Path, str, str], aether: Aether
) -> None:
    root, _, second = two_runs

    done = aether(root, "show", second[:-1] + "x")

    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"error: No recorded run '{second[:-1]}x' in the state store")
    assert f"did you mean '{second}'?" in done.stderr


def test_without_an_id_the_recent_runs_are_listed_newest_first(
    two_runs: tuple[Path, str, str], aether: Aether
) -> None:
    root, first, second = two_runs

    listed = shown(aether, root)["runs"]

    assert [r["run_id"] for r in listed] == [second, first]


def test_a_failed_node_shows_its_error(make_project: Callable[..., Path], aether: Aether) -> None:
    root = make_project(pipeline=lambda text: text.replace("mini.nodes.total", "mini.nodes.boom"))
    done = aether(root, "run")
    assert done.returncode != 0
    run_id = done.stdout.split("Run ", 1)[1].split()[0]

    report = shown(aether, root, run_id)

    assert report["status"] == "failed"
    assert [(n["node"], n["status"]) for n in report["nodes"]] == [
        ("double", "succeeded"),
        ("total", "failed"),
    ]
    assert "boom on purpose" in report["nodes"][1]["error"]


def test_a_project_that_never_ran_says_so(
    make_project: Callable[..., Path], aether: Aether
) -> None:
    done = aether(make_project(), "show", "20261205")

    assert done.returncode == 2
    assert "only runs that ran a node are recorded" in done.stderr
