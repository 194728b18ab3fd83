"""The tutorial (docs/tutorials/first-pipeline.md) stays true to the template it starts from.

It is followed here as a reader would, step by step: a project generated with the tutorial's
name, the file it shows inline compared with the generated one, its additions pasted in, and
each command it shows run, the output compared with the page (run ids, times aside).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BIN, REPO_ROOT, Bake, project_env

TUTORIAL = REPO_ROOT / "docs" / "tutorials" / "first-pipeline.md"
TITLED_BLOCK = re.compile(r'^```\w+ title="(?P<title>[^"]+)"\n(?P<body>.*?)^```$', re.M | re.S)
COMMAND_THEN_OUTPUT = re.compile(
    r"^```bash\n(?P<command>(?:(?!```).)*?)\n```\n\n```text\n(?P<output>(?:(?!```).)*?)^```$",
    re.M | re.S,
)
ADDED_FUNCTION = "src/my_orders/nodes/reports.py (added at the end)"
ADDED_ENTRY = "conf/base/catalog.yml (added at the end)"
ADDED_NODE = "conf/base/pipeline.yml (added to nodes:)"
ADDED_TEST = "tests/unit/test_nodes.py (added at the end)"


def _page() -> str:
    return TUTORIAL.read_text(encoding="utf-8")


def _files_shown() -> dict[str, str]:
    return {match["title"]: match["body"] for match in TITLED_BLOCK.finditer(_page())}


def _outputs_shown(command: str) -> list[str]:
    """The text blocks the page shows right after a bash block of exactly `command`."""
    return [
        match["output"]
        for match in COMMAND_THEN_OUTPUT.finditer(_page())
        if match["command"].strip() == command
    ]


def _aether(project: Path, *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "aether"), *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=project_env(),
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _comparable(text: str) -> list[str]:
    """Lines without run ids, timestamps, durations and the per-node progress lines of a log."""
    text = re.sub(r"\d{8}T\d{6}Z-[0-9a-f]{6}", "<run id>", text)
    text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "<when>", text)
    text = re.sub(r"\d+\.\d\ds\b", "<secs>", text)
    return [line.rstrip() for line in text.splitlines() if not line.startswith("[")]


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.fixture
def project(bake: Bake) -> Path:
    """Step 1: `aether new my-orders --defaults --data project_name="My Orders"`."""
    made = bake(engine="cookiecutter", project_name="My Orders")
    assert made.name == "my-orders"
    return made


def test_following_the_tutorial_gives_what_it_shows(project: Path) -> None:
    files = _files_shown()
    pipeline = project / "conf/base/pipeline.yml"
    assert files["conf/base/pipeline.yml"] == pipeline.read_text(encoding="utf-8")

    # Step 2: the first run builds everything, the second nothing.
    (first_run, new_step_run) = _outputs_shown("aether run")
    assert _comparable(_aether(project, "run")) == _comparable(first_run)
    assert "everything is fresh" in _aether(project, "run")
    shown_heads = _outputs_shown(
        "head -4 data/08_reporting/daily_revenue.csv\n"
        'python -c "import pandas as pd; print(len(pd.read_parquet('
        "'data/02_intermediate/clean_orders.parquet')))\""
    )[0].splitlines()
    report = (project / "data/08_reporting/daily_revenue.csv").read_text().splitlines()
    assert report[:4] == shown_heads[:4]

    # Step 7: a step of one's own.
    _append(project / "src/my_orders/nodes/reports.py", "\n\n" + files[ADDED_FUNCTION])
    _append(project / "conf/base/catalog.yml", "\n" + files[ADDED_ENTRY])
    pipeline.write_text(pipeline.read_text().replace("default:", files[ADDED_NODE] + "default:"))
    assert (
        _aether(project, "catalog", "codeowners", "--write")
        == _outputs_shown("aether catalog codeowners --write")[0]
    )
    assert _aether(project, "validate") == _outputs_shown("aether validate")[0]
    assert _comparable(_aether(project, "status")) == _comparable(
        _outputs_shown("aether status")[0]
    )
    assert _comparable(_aether(project, "run")) == _comparable(new_step_run)
    customers = (project / "data/08_reporting/customer_revenue.csv").read_text().splitlines()
    assert (
        customers[:4]
        == _outputs_shown("head -4 data/08_reporting/customer_revenue.csv")[0].splitlines()
    )

    # Step 9: a parameter overridden for one run.
    dry_run = _aether(project, "run", "--dry-run", "--params", "cleaning.min_amount=100")
    shown_plan = _outputs_shown('aether run --dry-run --params "cleaning.min_amount=100"')[0]
    assert _comparable(dry_run) == _comparable(shown_plan)
    assert "2026-01-07,3," in "\n".join(report)
    _aether(project, "run", "--params", "cleaning.min_amount=100")
    assert "2026-01-07,2," in (project / "data/08_reporting/daily_revenue.csv").read_text()
    status = _aether(project, "status")
    assert status.count("parameter cleaning.min_amount changed from 100 to 5") == 3


def test_the_test_it_adds_passes(project: Path) -> None:
    files = _files_shown()
    _append(project / "src/my_orders/nodes/reports.py", "\n\n" + files[ADDED_FUNCTION])
    tests = project / "tests/unit/test_nodes.py"
    imports = "from my_orders.nodes.reports import daily_revenue"
    assert imports + "\n" in tests.read_text()
    tests.write_text(tests.read_text().replace(imports, imports + ", revenue_by_customer"))
    _append(tests, "\n\n" + files[ADDED_TEST])
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", tests],
        cwd=project,
        capture_output=True,
        text=True,
        env=project_env(
            PYTHONPATH=str(project / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")
        ),
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout
