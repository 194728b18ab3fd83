"""validate_project: every configuration problem of a project as data, nothing printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from aether.engine.validation import validate_project
from aether.errors import ConfigError
from aether.project.context import load_context


@pytest.fixture
def project(orders_project: Path) -> Path:
    """A never-run copy of the orders example."""
    return orders_project


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
