"""The VS Code extension's fixtures follow the real CLI (so they cannot drift silently).

`vscode-aether/test/fixtures/cli-lines.json` holds the error lines the CLI prints for broken
copies of the extension's test project, and where each names a place; the extension's tests
run the `$aether` problem matcher on them. `fixtures/dag.json` is the DAG its language
features are tested on: it follows the shipped JSON Schema and, but for what only past runs
can show (statuses, check results), what `aether viz` prints for the project. Here both are
compared with what this CLI really prints.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

Aether = Callable[..., subprocess.CompletedProcess[str]]

FIXTURES = Path(__file__).resolve().parents[4] / "vscode-aether" / "test" / "fixtures"
SCENARIOS = json.loads((FIXTURES / "cli-lines.json").read_text(encoding="utf-8"))["scenarios"]
REGENERATE = (
    "the CLI's output changed: update vscode-aether/test/fixtures/cli-lines.json (and check "
    "the $aether problem matcher in vscode-aether/package.json still reads it: npm test)"
)


def project_copy(tmp_path: Path, name: str) -> Path:
    return Path(shutil.copytree(FIXTURES / "project", tmp_path / name))


def apply(root: Path, edit: dict[str, Any]) -> None:
    file = root / edit["file"]
    text = file.read_text(encoding="utf-8")
    if "replace" in edit:
        old, new = edit["replace"]
        assert old in text, f"{edit['file']} no longer contains {old!r}: update the scenario"
        text = text.replace(old, new, 1)
    else:
        text += edit["append"]
    file.write_text(text, encoding="utf-8")


def problem_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(("error:", "warning:"))]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["scenario"] for s in SCENARIOS])
def test_the_cli_prints_the_fixture_lines(
    aether: Aether, tmp_path: Path, scenario: dict[str, Any]
) -> None:
    root = project_copy(tmp_path, scenario["scenario"])
    apply(root, scenario["edit"])

    done = aether(root, *scenario["command"])

    assert problem_lines(done.stderr) == [line["text"] for line in scenario["lines"]], REGENERATE


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["scenario"] for s in SCENARIOS])
def test_each_place_the_matcher_reads_is_where_validate_json_puts_the_problem(
    aether: Aether, tmp_path: Path, scenario: dict[str, Any]
) -> None:
    """The matcher and the diagnostics (validate --json) point at the same file and line."""
    root = project_copy(tmp_path, scenario["scenario"])
    apply(root, scenario["edit"])

    places = {
        (p["file"], p["line"])
        for p in json.loads(aether(root, "validate", "--json").stdout)["problems"]
    }

    for line in scenario["lines"]:
        if line["problem"]:
            assert (line["problem"]["file"], line["problem"]["line"]) in places


def test_the_fixture_project_is_valid(aether: Aether, tmp_path: Path) -> None:
    done = aether(project_copy(tmp_path, "valid"), "validate")
    assert done.returncode == 0, done.stderr


# The fields the extension reads that do not depend on past runs; statuses, reasons and
# check results in the fixture show what a never-run project cannot.
COMPARED = (
    "id",
    "kind",
    "name",
    "location",
    "type",
    "filepath",
    "owner",
    "description",
    "tags",
    "transformation",
    "location_in_pipeline",
)


def test_the_fixture_dag_is_what_viz_prints_for_the_project(aether: Aether, tmp_path: Path) -> None:
    done = aether(project_copy(tmp_path, "viz"), "viz", "--format", "json")
    assert done.returncode == 0, done.stderr
    real = json.loads(done.stdout)
    fixture = json.loads((FIXTURES / "dag.json").read_text(encoding="utf-8"))

    import jsonschema

    schema = resources.files("aether.insight").joinpath("dag.schema.json").read_text("utf-8")
    jsonschema.validate(fixture, json.loads(schema))
    assert fixture["schema"] == real["schema"]
    assert fixture["edges"] == real["edges"]
    fixture_nodes = {node["id"]: node for node in fixture["nodes"]}
    assert set(fixture_nodes) == {node["id"] for node in real["nodes"]}
    for node in real["nodes"]:
        for key in COMPARED:
            assert fixture_nodes[node["id"]].get(key) == node.get(key), (node["id"], key)
