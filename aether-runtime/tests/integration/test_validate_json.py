"""`aether validate --json`: every problem with the file, line and column it points at, its
severity and code, the words validate prints, and the exit code validate gives; for editors
(the VS Code extension's diagnostics) and other tools."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

Aether = Callable[..., subprocess.CompletedProcess[str]]


def problems(aether: Aether, root: Path) -> tuple[int, dict[str, Any]]:
    done = aether(root, "validate", "--json")
    return done.returncode, json.loads(done.stdout)


def test_a_valid_project_has_no_problems(make_project: Callable[..., Path], aether: Aether) -> None:
    assert problems(aether, make_project()) == (0, {"problems": [], "valid": True})


def test_a_catalog_problem_points_at_its_entry(
    make_project: Callable[..., Path], aether: Aether
) -> None:
    root = make_project(
        catalog=lambda text: text.replace("type: PandasCsvDataSet", "type: PandasCsvDataSe", 2)
    )

    code, found = problems(aether, root)

    assert code == 2 and found["valid"] is False
    assert sorted((p["file"], p["line"], p["code"], p["severity"]) for p in found["problems"]) == [
        ("conf/base/catalog.yml", 1, "catalog", "error"),
        ("conf/base/catalog.yml", 5, "catalog", "error"),
    ]
    assert {p["hint"] for p in found["problems"]} == {"did you mean 'PandasCsvDataSet'?"}
    assert all("unknown type 'PandasCsvDataSe'" in p["message"] for p in found["problems"])


def test_malformed_yaml_is_a_problem_at_its_line_and_column(
    make_project: Callable[..., Path], aether: Aether
) -> None:
    root = make_project(catalog="numbers:\n  type: [unclosed\n")

    code, found = problems(aether, root)

    assert code == 2
    (problem,) = found["problems"]
    assert (problem["file"], problem["line"], problem["column"]) == ("conf/base/catalog.yml", 2, 9)


def test_a_missing_parameter_points_where_the_pipeline_reads_it(
    make_project: Callable[..., Path], aether: Aether
) -> None:
    root = make_project(pipeline=lambda text: text.replace("params:factor", "params:factr"))

    code, found = problems(aether, root)

    assert code == 2
    (problem,) = found["problems"]
    lines = (root / "conf" / "base" / "pipeline.yml").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if "params:factr" in text)
    column = lines[line - 1].index("params:") + 1
    assert (problem["file"], problem["line"], problem["column"]) == (
        "conf/base/pipeline.yml",
        line,
        column,
    )


def test_a_node_problem_points_at_the_nodes_name(
    make_project: Callable[..., Path], aether: Aether
) -> None:
    root = make_project(pipeline=lambda text: text.replace("mini.nodes.total", "mini.nodes.totl"))

    code, found = problems(aether, root)

    assert code == 2
    (problem,) = found["problems"]
    lines = (root / "conf" / "base" / "pipeline.yml").read_text().splitlines()
    line = lines.index("      - name: total") + 1
    column = lines[line - 1].index("total") + 1  # the node's name itself
    assert (problem["file"], problem["line"], problem["column"]) == (
        "conf/base/pipeline.yml",
        line,
        column,
    )
    assert "totl" in problem["message"]


def test_a_warning_alone_keeps_the_project_valid(
    make_project: Callable[..., Path], aether: Aether
) -> None:
    root = make_project(
        catalog=lambda text: (
            text + "api:\n  type: APIDataSet\n  url: https://user:hunter2secret@example.com/x\n"
        ),
    )

    code, found = problems(aether, root)

    assert code == 0 and found["valid"] is True
    (problem,) = found["problems"]
    assert (problem["severity"], problem["code"], problem["file"]) == (
        "warning",
        "url-secret",
        "conf/base/catalog.yml",
    )
    assert "hunter2secret" not in json.dumps(found)


def test_outside_a_project_it_is_still_json_with_a_problem_and_no_file(
    tmp_path: Path, aether: Aether
) -> None:
    # A tool reading stdout always gets the same shape, whatever went wrong.
    done = aether(tmp_path, "validate", "--json")

    assert done.returncode == 2 and done.stderr == ""
    found = json.loads(done.stdout)
    assert found["valid"] is False and len(found["problems"]) == 1
    problem = found["problems"][0]
    assert problem["file"] is None and problem["message"].startswith("No Aether project found")
