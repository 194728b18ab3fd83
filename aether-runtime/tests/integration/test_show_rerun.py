"""`aether show RUN_ID` under review (issue 19): the command it prints runs the same thing
again (the run's --params, its nodes, the versions it read), and a parameter named like a
secret is never printed."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

Aether = Callable[..., subprocess.CompletedProcess[str]]


def versioned(catalog: str) -> str:
    return catalog.replace(
        "  filepath: data/02_intermediate/doubled.csv\n",
        "  filepath: data/02_intermediate/doubled.csv\n  versioned: true\n",
    )


def run(aether: Aether, root: Path, *args: str) -> str:
    done = aether(root, "run", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.split("Run ", 1)[1].split()[0]


def shown(aether: Aether, root: Path, *args: str) -> dict[str, Any]:
    done = aether(root, "show", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def total(root: Path) -> int:
    return int(pd.read_csv(root / "data" / "03_primary" / "total.csv")["total"][0])


def test_the_command_shown_runs_again_with_the_parameters_the_run_was_given(
    make_project: Callable[..., Path], aether: Aether
) -> None:
    root = make_project()
    overridden = run(aether, root, "--params", "factor=3")  # conf says factor: 2
    run(aether, root)
    assert total(root) == 12

    command = shown(aether, root, overridden)["rerun"]["command"]
    text = aether(root, "show", overridden).stdout

    assert command[command.index("--params") + 1] == "factor=3"
    assert "--params factor=3" in text
    again = aether(root, *command[1:])
    assert again.returncode == 0, again.stderr
    assert total(root) == 18  # what the run built, not what conf/ builds


def test_the_command_shown_reads_the_versions_the_run_read_and_runs_only_its_nodes(
    make_project: Callable[..., Path], aether: Aether
) -> None:
    root = make_project(catalog=versioned)
    made = run(aether, root, "--params", "factor=3")
    partial = run(aether, root, "--params", "factor=3", "--nodes", "total", "--force")
    run(aether, root, "--params", "factor=4")  # the file now holds a newer version
    assert total(root) == 24

    command = shown(aether, root, partial)["rerun"]["command"]

    assert command[command.index("--nodes") + 1] == "total"
    assert command[command.index("--load-version") + 1] == f"doubled={made}"
    again = aether(root, *command[1:])
    assert again.returncode == 0, again.stderr
    assert total(root) == 18  # from the version it read (3, 6, 9), not the newest
    assert shown(aether, root, partial)["rerun"]["notes"] == []

    shutil.rmtree(root / "data" / "02_intermediate" / "doubled.csv.versions" / made)

    notes = shown(aether, root, partial)["rerun"]["notes"]
    assert len(notes) == 1 and f"doubled no longer keeps version {made}" in notes[0]
    assert f"# doubled no longer keeps version {made}" in aether(root, "show", partial).stdout


def test_a_parameter_named_like_a_secret_is_masked_in_every_report(
    make_project: Callable[..., Path], aether: Aether
) -> None:
    secret = "s3cr3t-Hunter2-in-params"
    root = make_project(local={"parameters.yml": f"factor: 2\napi_token: {secret}\n"})
    ran = run(aether, root)

    outputs = [
        aether(root, "show").stdout,
        aether(root, "show", "--json").stdout,
        aether(root, "show", ran).stdout,
        aether(root, "show", ran, "--json").stdout,
    ]

    assert all(secret not in out for out in outputs)
    assert shown(aether, root, ran)["params"]["api_token"] == "***"
    assert shown(aether, root)["runs"][0]["params"]["api_token"] == "***"
    # Nor is it stored: the state file never held it.
    assert secret.encode() not in b"".join(
        path.read_bytes() for path in (root / ".aether").rglob("state.db*") if path.is_file()
    )


def test_a_parameter_named_like_a_secret_is_masked_in_what_a_failing_node_says(
    make_project: Callable[..., Path], aether: Aether
) -> None:
    # Allowed in conf/local/parameters.yml; a node's error quoting it must not print it.
    secret = "s3cr3t-Quoted-in-an-error"
    root = make_project(local={"parameters.yml": f"factor: 2\napi_token: {secret}\n"})
    nodes = root / "src" / "mini" / "nodes.py"
    nodes.write_text(
        nodes.read_text()
        + "\n\ndef leak(token):\n    raise RuntimeError(f'the server refused {token}')\n"
    )
    pipeline = root / "conf" / "base" / "pipeline.yml"
    pipeline.write_text(
        pipeline.read_text().replace(
            "default: main",
            "  leaky:\n    nodes:\n      - name: leak\n        transformation: mini.nodes.leak\n"
            "        inputs: {token: params:api_token}\n        outputs: leaked\ndefault: main",
        )
    )

    done = aether(root, "run", "--pipeline", "leaky")

    assert done.returncode == 1, done.stdout + done.stderr
    assert "the server refused ***" in done.stdout + done.stderr
    assert secret not in done.stdout + done.stderr
