"""validate_project: every configuration problem of a project as data, nothing printed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aether.engine.validation import validate_project
from aether.errors import ConfigError
from aether.project import load_context

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "orders"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "orders"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("02_*", "08_*", ".aether"))
    return target


def test_a_valid_project_has_no_problems(project: Path) -> None:
    assert validate_project(load_context(project)) == []


def test_every_problem_is_returned_not_only_the_first(project: Path, capsys) -> None:
    catalog = project / "conf" / "base" / "catalog.yml"
    text = catalog.read_text().replace(
        "description: Orders exported nightly by the shop",
        "description: Orders exported nightly by the shop\n  freshness: {warn_after: soon}",
    )
    catalog.write_text(text)
    with (project / "conf" / "base" / "parameters.yml").open("a") as params:
        params.write("\napi_token: s3cr3t-value\n")

    problems = validate_project(load_context(project))

    messages = [p.message for p in problems]
    assert any("freshness duration 'soon'" in m for m in messages), messages
    assert any("'api_token' holds a literal secret" in m for m in messages), messages
    assert all(isinstance(p, ConfigError) for p in problems)
    assert capsys.readouterr().out == ""
