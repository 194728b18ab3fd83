"""Glossary terms and governance.yml rules, as `validate_project` reports them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from aether.engine.validation import validate_project
from aether.errors import AetherError
from aether.project.context import load_context

CATALOG = """\
customers:
  type: PandasCsvDataSet
  filepath: data/01_raw/numbers.csv
  metadata:
    owner: sales
    tier: bronze
    pii: true
    term: customer
doubled:
  type: PandasCsvDataSet
  filepath: data/02_intermediate/doubled.csv
  metadata:
    tier: silver
    pii: true
total:
  type: PandasCsvDataSet
  filepath: data/03_primary/total.csv
  checks: [{check: not_null, columns: [total]}]
  metadata:
    owner: finance
    tier: gold
    description: The sum
    columns:
      total: {description: The sum, term: revenue}
"""

PIPELINE = """\
pipelines:
  main:
    nodes:
      - name: double
        transformation: mini.nodes.double
        inputs: {rows: customers, factor: params:factor}
        outputs: doubled
      - name: total
        transformation: mini.nodes.total
        inputs: {rows: doubled}
        outputs: total
        removes_pii: true
default: main
"""

GLOSSARY = """\
terms:
  customer: {definition: A person or company that placed an order, owner: sales}
  revenue: {definition: Money received from orders, owner: finance, synonyms: [turnover]}
"""

Findings = tuple[list[str], list[str]]


@pytest.fixture
def judge(make_project: Callable[..., Path]) -> Callable[..., Findings]:
    """Validate a project built from the defaults above, changed by the given texts."""

    def run(
        governance: str = "",
        *,
        catalog: str = CATALOG,
        pipeline: str = PIPELINE,
        glossary: str | None = GLOSSARY,
        envs: dict[str, dict[str, str]] | None = None,
        env: str | None = None,
    ) -> Findings:
        files = {}
        if glossary is not None:
            files["conf/base/glossary.yml"] = glossary
        if governance:
            files["conf/base/governance.yml"] = governance
        root = make_project(catalog=catalog, pipeline=pipeline, files=files, envs=envs)
        warnings: list[AetherError] = []
        errors = validate_project(load_context(root, env=env), warnings)
        return [e.message + " — " + (e.hint or "") for e in errors], [
            w.message + " — " + (w.hint or "") for w in warnings
        ]

    return run


def test_a_governed_project_is_clean(judge: Callable[..., Findings]) -> None:
    rules = """\
    rules:
      - {rule: required_metadata, tiers: [gold], keys: [owner, description], severity: error}
      - {rule: naming, pattern: "^[a-z][a-z0-9_]*$", severity: warn}
      - {rule: required_checks, tiers: [gold], severity: warn}
      - {rule: allowed_types, env: prod, types: [PandasParquetDataSet], severity: error}
      - {rule: pii_propagation, severity: error}
    """
    assert judge(rules) == ([], [])


# --- glossary -------------------------------------------------------------------------


def test_an_unknown_term_is_an_error_with_did_you_mean(judge: Callable[..., Findings]) -> None:
    errors, _ = judge(catalog=CATALOG.replace("term: revenue", "term: revenu"))
    assert len(errors) == 1, errors
    assert "Dataset 'total'" in errors[0]
    assert (
        "metadata.columns.total.term 'revenu' is not a term of conf/base/glossary.yml"
        in (errors[0])
    )
    assert "did you mean 'revenue'?" in errors[0]


def test_a_synonym_suggests_its_term(judge: Callable[..., Findings]) -> None:
    errors, _ = judge(catalog=CATALOG.replace("term: revenue", "term: turnovr"))
    assert len(errors) == 1 and "did you mean 'revenue'?" in errors[0], errors


def test_a_term_without_a_glossary_says_where_to_define_it(judge: Callable[..., Findings]) -> None:
    errors, _ = judge(glossary=None)
    assert len(errors) == 2, errors
    assert all("the project has no glossary" in e for e in errors)
    assert "conf/base/glossary.yml" in errors[0]


@pytest.mark.parametrize(
    ("glossary", "words"),
    [
        ("term:\n  a: {definition: x}\n", "unknown top-level key 'term' — did you mean 'terms'?"),
        ("terms: [customer, revenue]\n", "`terms:` must map each term to its definition"),
        ("terms:\n  customer: {owner: sales}\n", "term 'customer' has no `definition:`"),
        ("terms:\n  customer: {definition: x, synonym: [y]}\n", "did you mean 'synonyms'?"),
        ("terms:\n  customer: {definition: x, synonyms: 3}\n", "`synonyms:` must be a list"),
        ("terms:\n  customer: {definition: x}\n  customer: {definition: y}\n", "customer"),
    ],
)
def test_a_glossary_of_the_wrong_shape_is_one_error(
    judge: Callable[..., Findings], glossary: str, words: str
) -> None:
    errors, _ = judge(glossary=glossary)
    assert any(words in e and "glossary.yml" in e for e in errors), errors


# --- required_metadata ------------------------------------------------------------------


def test_required_metadata_errors_on_a_gold_asset_without_them(
    judge: Callable[..., Findings],
) -> None:
    rule = "rules:\n  - {rule: required_metadata, tiers: [gold, silver], keys: [owner, domain]}\n"
    errors, warnings = judge(rule)
    assert warnings == []
    assert sorted(e.split(":", 1)[0] for e in errors) == [
        "Dataset 'doubled' (conf/base/catalog.yml",
        "Dataset 'total' (conf/base/catalog.yml",
    ]
    doubled = next(e for e in errors if "'doubled'" in e)
    assert "rule required_metadata (conf/base/governance.yml rules[0])" in doubled
    assert "metadata (tier silver) lacks owner, domain" in doubled
    assert "add `owner:`, `domain:` under its `metadata:`" in doubled


def test_required_metadata_by_layer_and_as_a_warning(judge: Callable[..., Findings]) -> None:
    catalog = CATALOG.replace("tier: bronze", "layer: raw")
    rule = (
        "rules:\n  - {rule: required_metadata, layers: [raw], keys: [description], "
        "severity: warn}\n"
    )
    errors, warnings = judge(rule, catalog=catalog)
    assert errors == []
    assert len(warnings) == 1 and "Dataset 'customers'" in warnings[0], warnings
    assert "(layer raw) lacks description" in warnings[0]


# --- naming -----------------------------------------------------------------------------


def test_naming_warns_on_a_name_that_does_not_match(judge: Callable[..., Findings]) -> None:
    errors, warnings = judge(
        "rules:\n  - {rule: naming, pattern: '^(customers|total)$', severity: warn}\n"
    )
    assert errors == []
    assert len(warnings) == 1 and "Dataset 'doubled'" in warnings[0], warnings
    assert "does not match '^(customers|total)$'" in warnings[0]


def test_naming_errors_by_default(judge: Callable[..., Findings]) -> None:
    errors, _ = judge("rules:\n  - {rule: naming, pattern: '^t'}\n")
    assert sorted(e.split("'")[1] for e in errors) == ["customers", "doubled"]


def test_an_invalid_pattern_is_one_line(judge: Callable[..., Findings]) -> None:
    errors, _ = judge("rules:\n  - {rule: naming, pattern: '^[a-z'}\n")
    assert len(errors) == 1, errors
    assert "rules[0]: rule naming: pattern '^[a-z' is not a regular expression" in errors[0]
    assert "\n" not in errors[0]


# --- required_checks --------------------------------------------------------------------


def test_required_checks_on_published_tiers(judge: Callable[..., Findings]) -> None:
    errors, warnings = judge(
        "rules:\n  - {rule: required_checks, tiers: [gold, silver], severity: warn}\n"
    )
    assert errors == []
    assert len(warnings) == 1, warnings
    assert "Dataset 'doubled'" in warnings[0] and "(tier silver) has no checks" in warnings[0]
    assert "add `checks:`" in warnings[0]
    errors, _ = judge("rules:\n  - {rule: required_checks, tiers: [gold, silver]}\n")
    assert len(errors) == 1


# --- allowed_types ----------------------------------------------------------------------


def test_allowed_types_bite_only_in_their_environment(judge: Callable[..., Findings]) -> None:
    rule = "rules:\n  - {rule: allowed_types, env: prod, types: [SQLTableDataSet]}\n"
    prod = {"prod": {"parameters.yml": "factor: 2\n"}}
    assert judge(rule, envs=prod) == ([], [])
    errors, _ = judge(rule, envs=prod, env="prod")
    assert len(errors) == 3, errors
    assert "type PandasCsvDataSet is not allowed in env prod" in errors[0]
    assert "use one of SQLTableDataSet in conf/prod/catalog.yml" in errors[0]


def test_allowed_types_accept_a_dotted_path_of_an_allowed_type(
    judge: Callable[..., Findings],
) -> None:
    catalog = CATALOG.replace("PandasCsvDataSet", "aether.datasets.pandas.PandasCsvDataSet")
    rule = "rules:\n  - {rule: allowed_types, env: local, types: [PandasCsvDataSet]}\n"
    assert judge(rule, catalog=catalog) == ([], [])


# --- pii_propagation --------------------------------------------------------------------


def test_pii_must_propagate_unless_the_node_removes_it(judge: Callable[..., Findings]) -> None:
    rule = "rules:\n  - {rule: pii_propagation}\n"
    assert judge(rule) == ([], [])
    errors, _ = judge(rule, catalog=CATALOG.replace("tier: silver\n    pii: true", "tier: silver"))
    assert len(errors) == 1, errors
    assert "Dataset 'doubled'" in errors[0]
    assert (
        "node 'double' derives it from 'customers' (pii: true), but it is not marked pii"
        in (errors[0])
    )
    assert "or `removes_pii: true` to node 'double' in pipeline.yml" in errors[0]
    errors, _ = judge(rule, pipeline=PIPELINE.replace("        removes_pii: true\n", ""))
    assert len(errors) == 1 and "Dataset 'total'" in errors[0], errors


def test_pii_flows_through_a_dataset_the_catalog_does_not_describe(
    judge: Callable[..., Findings],
) -> None:
    catalog = CATALOG.replace(
        "doubled:\n  type: PandasCsvDataSet\n  filepath: data/02_intermediate/doubled.csv\n"
        "  metadata:\n    tier: silver\n    pii: true\n",
        "",
    )
    pipeline = PIPELINE.replace("        removes_pii: true\n", "")
    errors, _ = judge("rules:\n  - {rule: pii_propagation}\n", catalog=catalog, pipeline=pipeline)
    assert len(errors) == 1 and "Dataset 'total'" in errors[0], errors
    assert "derives it from 'customers'" in errors[0]


def test_removes_pii_must_be_a_boolean(judge: Callable[..., Findings]) -> None:
    with pytest.raises(AetherError, match="`removes_pii:` must be true or false"):
        judge(pipeline=PIPELINE.replace("removes_pii: true", "removes_pii: 'yes'"))


# --- the file itself --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("governance", "words"),
    [
        (
            "rules:\n  - {rule: pii_propagaton}\n",
            "unknown rule 'pii_propagaton' — did you mean 'pii_propagation'?",
        ),
        (
            "rules:\n  - {rule: naming, patern: x}\n",
            "unknown key 'patern' — did you mean 'pattern'?",
        ),
        ("rules:\n  - {rule: naming}\n", "rule naming needs `pattern:`"),
        ("rules:\n  - {rule: naming, pattern: x, severity: warning}\n", "did you mean 'warn'?"),
        ("rule:\n  - {rule: naming}\n", "unknown top-level key 'rule' — did you mean 'rules'?"),
        ("rules: {naming: x}\n", "`rules:` must be a list of rules"),
        ("rules:\n  - naming\n", "each rule must be a mapping with a `rule:`"),
        ("rules:\n  - {rule: required_checks, tiers: 3}\n", "`tiers:` must be a name or a list"),
        (
            "rules:\n  - {rule: required_metadata, keys: [ownr]}\n",
            "key 'ownr' is not a metadata key Aether reads — did you mean 'owner'?",
        ),
    ],
)
def test_a_governance_file_of_the_wrong_shape_is_one_error(
    judge: Callable[..., Findings], governance: str, words: str
) -> None:
    errors, _ = judge(governance)
    assert len(errors) == 1, errors
    assert words in errors[0] and "governance.yml" in errors[0]


def test_a_wrong_metadata_shape_is_a_validate_error(judge: Callable[..., Findings]) -> None:
    errors, _ = judge(catalog=CATALOG.replace("pii: true\n    term", "pii: maybe\n    term"))
    assert any(
        "Dataset 'customers'" in e and "metadata.pii must be true or false" in e for e in errors
    ), errors


def test_an_empty_glossary_still_names_its_file(judge: Callable[..., Findings]) -> None:
    errors, _ = judge(glossary="# no terms yet\n")
    assert len(errors) == 2, errors
    assert all("is not a term of conf/base/glossary.yml" in e for e in errors)
