"""The template's commented backend examples (catalog.yml, credentials.example.yml) are what
the runtime accepts: uncommented, every entry builds, every built-in backend has one, and every
`${secret:...}` names a built-in provider in a well-formed reference."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from aether.catalog import DataCatalog
from aether.datasets import BUILTIN_DATASETS
from aether.secrets.providers import BUILTIN_PROVIDERS
from aether.secrets.references import find_references

from .conftest import REPO_ROOT

PROJECT = REPO_ROOT / "template" / "{{cookiecutter.project_slug}}"
BACKEND_TYPES = {"SQLTableDataSet", "SQLQueryDataSet", "APIDataSet", "DeltaTableDataSet"}


def _uncommented_examples(path: Path, first_key: str) -> dict:
    """The YAML written as `# key: value` lines from `# first_key:` on, uncommented (the
    prose comments between the examples left out)."""
    text = path.read_text(encoding="utf-8")
    text = text[text.index(f"# {first_key}:") :]
    lines = [line[2:] for line in text.splitlines() if re.match(r"# ([a-z_][a-z0-9_]*:|  )", line)]
    examples = yaml.safe_load("\n".join(lines))
    assert isinstance(examples, dict) and examples, f"no examples found in {path}"
    return examples


def test_every_catalog_example_builds(tmp_path: Path) -> None:
    examples = _uncommented_examples(PROJECT / "conf/base/catalog.yml", "orders_table")
    credentials = {
        "warehouse": {"con": f"sqlite:///{tmp_path}/warehouse.db"},
        "rates_api": {"token": "a-token-for-the-test"},
        "lake": {"key": "k", "secret": "s", "endpoint_url": "http://127.0.0.1:9"},
    }
    catalog = DataCatalog.from_config(
        examples,
        credentials=credentials,
        project_path=tmp_path,
        parameters={"cleaning": {"min_amount": 5}},
    )

    catalog.validate()  # builds every entry: unknown keys or types fail here

    types = {entry["type"] for entry in examples.values()}
    assert types <= set(BUILTIN_DATASETS)
    assert types >= BACKEND_TYPES
    assert any(str(e.get("filepath", "")).startswith("s3://") for e in examples.values())
    assert {e["credentials"] for e in examples.values() if "credentials" in e} <= set(credentials)


def test_every_secret_reference_in_the_credentials_example_is_well_formed() -> None:
    path = PROJECT / "conf/local/credentials.example.yml"
    examples = _uncommented_examples(path, "warehouse")
    text = path.read_text(encoding="utf-8")
    references = find_references(text, str(path))

    assert {r.provider for r in references} == {"env", "file", "aws", "databricks"}
    assert {r.provider for r in references} <= set(BUILTIN_PROVIDERS)
    assert set(examples) == {"warehouse", "rates_api", "lake"}  # what the catalog names
