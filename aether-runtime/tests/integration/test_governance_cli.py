"""`aether validate` enforcing the glossary and governance.yml, and `aether catalog list`
filtered by owner, domain and tier: the real CLI, exit codes and one-line messages."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

Aether = Callable[..., subprocess.CompletedProcess[str]]

CATALOG = """\
numbers:
  type: PandasCsvDataSet
  filepath: data/01_raw/numbers.csv
  metadata: {owner: sales, domain: shop, tier: bronze, pii: true, term: customer}
doubled:
  type: PandasCsvDataSet
  filepath: data/02_intermediate/doubled.csv
  metadata: {owner: sales, domain: shop, tier: silver, pii: true}
total:
  type: PandasCsvDataSet
  filepath: data/03_primary/total.csv
  metadata:
    owner: [finance, sales]
    domain: reporting
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
        inputs: {rows: numbers, factor: params:factor}
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

GOVERNANCE = """\
rules:
  - {rule: required_metadata, tiers: [gold], keys: [owner, description], severity: error}
  - {rule: naming, pattern: "^[a-z][a-z0-9_]*$", severity: warn}
  - {rule: required_checks, tiers: [gold], severity: warn}
  - {rule: allowed_types, env: prod, types: [SQLTableDataSet, PandasParquetDataSet]}
  - {rule: pii_propagation, severity: error}
"""


@pytest.fixture
def governed(make_project: Callable[..., Path]) -> Path:
    return make_project(
        "governed",
        catalog=CATALOG,
        pipeline=PIPELINE,
        files={"conf/base/glossary.yml": GLOSSARY, "conf/base/governance.yml": GOVERNANCE},
        envs={"prod": {"parameters.yml": "factor: 2\n"}},
    )


def _edit(project: Path, relative: str, old: str, new: str) -> None:
    path = project / relative
    text = path.read_text()
    assert old in text, (old, relative)
    path.write_text(text.replace(old, new))


def test_a_warning_prints_but_validate_passes(governed: Path, aether: Aether) -> None:
    result = aether(governed, "validate")
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: Dataset 'total' (conf/base/catalog.yml:9): rule required_checks "
        "(conf/base/governance.yml rules[2]): the asset (tier gold) has no checks — "
        "add `checks:` to the entry, e.g. checks: [{check: not_null, columns: [id]}]"
    ]
    assert "Configuration is valid" in result.stdout


def test_prod_rules_bite_only_in_prod(governed: Path, aether: Aether) -> None:
    result = aether(governed, "validate", "--env", "prod")
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 3, result.stderr
    assert all("rule allowed_types" in e and "not allowed in env prod" in e for e in errors)
    assert "Traceback" not in result.stderr


def test_an_unknown_term_fails_validate_with_did_you_mean(governed: Path, aether: Aether) -> None:
    _edit(governed, "conf/base/catalog.yml", "term: revenue", "term: turnovr")
    result = aether(governed, "validate")
    assert result.returncode == 2
    assert (
        "error: Dataset 'total' (conf/base/catalog.yml:9): metadata.columns.total.term 'turnovr' "
        "is not a term of conf/base/glossary.yml — did you mean 'revenue'?"
    ) in result.stderr.splitlines()


def test_pii_propagation_fails_validate(governed: Path, aether: Aether) -> None:
    _edit(governed, "conf/base/pipeline.yml", "        removes_pii: true\n", "")
    result = aether(governed, "validate")
    assert result.returncode == 2
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "Dataset 'total'" in error and "rule pii_propagation" in error
    assert "`removes_pii: true` to node 'total'" in error


def test_an_unknown_rule_is_one_line_exit_2(governed: Path, aether: Aether) -> None:
    _edit(governed, "conf/base/governance.yml", "rule: naming", "rule: namig")
    result = aether(governed, "validate")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: conf/base/governance.yml rules[1]: unknown rule 'namig' — did you mean 'naming'?"
    ]


def test_a_glossary_of_the_wrong_shape_is_one_line_exit_2(governed: Path, aether: Aether) -> None:
    (governed / "conf/base/glossary.yml").write_text("terms: [customer]\n")
    result = aether(governed, "validate")
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("error: conf/base/glossary.yml:1: `terms:` must map each term")
    assert "Traceback" not in result.stderr


def test_validate_json_lists_governance_warnings(governed: Path, aether: Aether) -> None:
    result = aether(governed, "validate", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["valid"] is True
    [warning] = report["problems"]
    assert warning["severity"] == "warning" and warning["code"] == "governance"
    assert "rule required_checks" in warning["message"]


# --- catalog list -----------------------------------------------------------------------


def _listed(aether: Aether, project: Path, *args: str) -> dict[str, dict[str, object]]:
    result = aether(project, "catalog", "list", "--json", *args)
    assert result.returncode == 0, result.stderr
    return {row["name"]: row for row in json.loads(result.stdout)["datasets"]}


def test_catalog_list_filters_combine(governed: Path, aether: Aether) -> None:
    assert sorted(_listed(aether, governed, "--owner", "sales")) == ["doubled", "numbers", "total"]
    assert sorted(_listed(aether, governed, "--owner", "finance")) == ["total"]
    assert sorted(_listed(aether, governed, "--domain", "shop")) == ["doubled", "numbers"]
    assert sorted(_listed(aether, governed, "--domain", "shop", "--tier", "silver")) == ["doubled"]
    assert _listed(aether, governed, "--domain", "reporting", "--tier", "silver") == {}
    row = _listed(aether, governed, "--tier", "bronze")["numbers"]
    assert (row["domain"], row["tier"], row["pii"]) == ("shop", "bronze", True)


def test_catalog_list_table_filtered(governed: Path, aether: Aether) -> None:
    result = aether(governed, "catalog", "list", "--tier", "gold")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and lines[1].startswith("total "), lines


def test_catalog_list_a_misspelt_filter_is_answered(governed: Path, aether: Aether) -> None:
    result = aether(governed, "catalog", "list", "--domain", "shopp")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: No dataset has domain 'shopp' (metadata.domain in catalog.yml) — "
        "did you mean 'shop'?"
    )
