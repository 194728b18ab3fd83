"""governance.yml under review (issue 19): a rule whose typo would silently switch it off, or
make it refuse every entry, is one error with did-you-mean."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from aether.engine.validation import validate_project
from aether.project.context import load_context

PROD = {"prod": {"parameters.yml": "factor: 2\n"}}


@pytest.fixture
def errors_of(make_project: Callable[..., Path]) -> Callable[..., list[str]]:
    def run(governance: str, env: str | None = None) -> list[str]:
        root = make_project(files={"conf/base/governance.yml": governance}, envs=PROD)
        found = validate_project(load_context(root, env=env), [])
        return [f"{e.message} — {e.hint or ''}" for e in found]

    return run


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        # conf/prd does not exist: the rule meant for prod would never apply.
        (
            "{rule: allowed_types, env: prd, types: [SQLTableDataSet]}",
            "env 'prd' has no folder conf/prd, so the rule would never apply — did you mean "
            "'prod'?",
        ),
        # A type a letter off would match nothing: every entry of prod would be refused.
        (
            "{rule: allowed_types, env: prod, types: [PandasParquetDataset]}",
            "'PandasParquetDataset' is not a dataset type — did you mean 'PandasParquetDataSet'?",
        ),
        (
            "{rule: naming, pattern: 5}",
            "`pattern:` must be a regular expression in quotes, got 5",
        ),
        (
            "{rule: naming, pattern: [a-z]}",
            "`pattern:` must be a regular expression in quotes, got ['a-z']",
        ),
    ],
)
def test_a_rule_that_could_never_work_as_meant_is_one_error(
    errors_of: Callable[..., list[str]], rule: str, words: str
) -> None:
    errors = errors_of(f"rules:\n  - {rule}\n")

    assert len(errors) == 1, errors
    assert words in errors[0] and "governance.yml rules[0]" in errors[0]


def test_a_custom_type_of_another_name_is_still_allowed(
    errors_of: Callable[..., list[str]],
) -> None:
    rule = "rules:\n  - {rule: allowed_types, env: [prod], types: [MyDataSet, PandasCsvDataSet]}\n"

    assert errors_of(rule) == []
    assert errors_of(rule, env="prod") == []


def test_a_rule_for_an_existing_env_still_bites_there(
    errors_of: Callable[..., list[str]],
) -> None:
    errors = errors_of(
        "rules:\n  - {rule: allowed_types, env: prod, types: [SQLTableDataSet]}\n", env="prod"
    )

    assert len(errors) == 3 and all("is not allowed in env prod" in e for e in errors)


@pytest.mark.parametrize(
    ("glossary", "words"),
    [
        (
            "terms:\n  customer: {definition: Who buys, synonyms: [revenue]}\n"
            "  revenue: {definition: Money received}\n",
            "term 'customer': synonym 'revenue' is a term of its own",
        ),
        (
            "terms:\n  customer: {definition: Who buys, synonyms: [buyer]}\n"
            "  revenue: {definition: Money received, synonyms: [buyer]}\n",
            "synonym 'buyer' belongs to both 'customer' and 'revenue'",
        ),
    ],
)
def test_a_glossary_word_with_two_meanings_is_one_error(
    make_project: Callable[..., Path], glossary: str, words: str
) -> None:
    root = make_project(files={"conf/base/glossary.yml": glossary})

    errors = [f"{e.message} — {e.hint}" for e in validate_project(load_context(root), [])]

    assert len(errors) == 1, errors
    assert words in errors[0] and "conf/base/glossary.yml" in errors[0]
