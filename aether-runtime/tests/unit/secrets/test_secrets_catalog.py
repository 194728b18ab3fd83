"""Secrets reach datasets through the catalog: read when a dataset naming the set is built,
once per set, masked from then on, handed resolved to parallel workers; ``${secret:...}``
anywhere else in conf/ is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aether.catalog import DataCatalog
from aether.configuration.conf_folder import ConfigLoader
from aether.datasets.base import AbstractDataSet
from aether.engine.orchestrator import catalog_recipe
from aether.errors import ConfigError, CredentialsError
from aether.support import redaction

SECRET = "s3cr3t-Hunter2-XYZ"
CREDENTIALS_FILE = "conf/local/credentials.yml"


class WarehouseDataSet(AbstractDataSet):
    def __init__(self, table: str, credentials: dict[str, Any] | None = None) -> None:
        self.table = table
        self.credentials = credentials

    def _load(self) -> Any:
        return self.credentials

    def _save(self, data: Any) -> None:
        pass

    def _exists(self) -> bool:
        return True

    def _describe(self) -> dict[str, Any]:
        return {"table": self.table}


@pytest.fixture(autouse=True)
def empty_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redaction, "_secrets", set())
    monkeypatch.setattr(redaction, "_pattern", None)


def _catalog(credentials: dict[str, Any], root: Path, tables: tuple[str, ...] = ("orders",)):
    entries = {
        name: {"type": f"{__name__}.WarehouseDataSet", "table": name, "credentials": "warehouse"}
        for name in tables
    }
    return DataCatalog.from_config(entries, credentials=credentials, project_path=root)


WAREHOUSE = {
    "warehouse": {
        "host": "db.internal",
        "password": "${secret:env:SHOP_DB_PASSWORD}",
        "con": "postgresql://app:${secret:file:secrets/db}@db.internal/shop",
    }
}


def test_a_dataset_gets_its_set_with_the_secrets_read_and_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_DB_PASSWORD", SECRET)
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "db").write_text("file-Pa55word-42\n")
    catalog = _catalog(WAREHOUSE, tmp_path)
    assert redaction.redact(SECRET) == SECRET  # not read before a dataset needs it

    given = catalog.load("orders")

    assert given == {
        "host": "db.internal",
        "password": SECRET,
        "con": "postgresql://app:file-Pa55word-42@db.internal/shop",
    }
    assert redaction.redact(f"{SECRET} file-Pa55word-42") == "*** ***"
    assert redaction.redact("${secret:env:SHOP_DB_PASSWORD}") == "${secret:env:SHOP_DB_PASSWORD}"


def test_a_set_is_read_once_per_catalog_however_many_datasets_name_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_DB_PASSWORD", SECRET)
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "db").write_text("first-Value-1")
    catalog = _catalog(WAREHOUSE, tmp_path, tables=("orders", "customers"))

    first = catalog.load("orders")
    (tmp_path / "secrets" / "db").write_text("second-Value-2")
    second = catalog.load("customers")

    assert first["con"] == second["con"] == "postgresql://app:first-Value-1@db.internal/shop"


def test_a_missing_secret_stops_the_dataset_naming_provider_and_name(tmp_path: Path) -> None:
    catalog = _catalog(
        {"warehouse": {"password": "${secret:file:secrets/absent}", "user": SECRET}}, tmp_path
    )

    with pytest.raises(CredentialsError) as caught:
        catalog.get("orders")

    assert caught.value.message == (
        "Secret 'secrets/absent' not found by provider 'file' "
        f"(credentials 'warehouse' in {CREDENTIALS_FILE})"
    )
    assert caught.value.exit_code == 2


def test_a_parallel_worker_gets_the_secrets_resolved_and_masks_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_DB_PASSWORD", SECRET)
    credentials = {"warehouse": {"password": "${secret:env:SHOP_DB_PASSWORD}"}}
    parent = _catalog(credentials, tmp_path)
    parent.validate()  # what a run does before starting workers
    recipe = catalog_recipe(parent)
    monkeypatch.delenv("SHOP_DB_PASSWORD")  # a worker must not need to ask again
    monkeypatch.setattr(redaction, "_secrets", set())  # a worker's registry starts empty
    monkeypatch.setattr(redaction, "_pattern", None)

    worker = recipe()

    assert redaction.redact(f"login with {SECRET}") == "login with ***"
    assert worker.load("orders") == {"password": SECRET}


def test_a_secret_under_a_public_key_is_masked_in_a_worker_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_DB_HOST", "hidden-host.internal")
    parent = _catalog({"warehouse": {"host": "${secret:env:SHOP_DB_HOST}"}}, tmp_path)
    parent.validate()
    recipe = catalog_recipe(parent)
    monkeypatch.setattr(redaction, "_secrets", set())
    monkeypatch.setattr(redaction, "_pattern", None)

    recipe()

    assert redaction.redact("hidden-host.internal") == "***"


def test_reference_problems_of_every_set_are_listed_without_reading_any_secret(
    tmp_path: Path,
) -> None:
    credentials = {
        "warehouse": {"password": "${secret:env:NOT_SET_ANYWHERE}"},
        "typo": {"token": "${secret:evn:TOKEN}"},
        "broken": {"token": "${secret:env}"},
    }
    catalog = _catalog(credentials, tmp_path)

    problems = [p.message for p in catalog.check_secret_references()]

    assert problems == [
        f"Unknown secret provider 'evn' in ${{secret:evn:TOKEN}} (credentials 'typo' in "
        f"{CREDENTIALS_FILE})",
        f"Malformed secret reference '${{secret:env}}' in credentials 'broken' in "
        f"{CREDENTIALS_FILE}",
    ]


# conf/ ------------------------------------------------------------------------------------
def _conf(tmp_path: Path, files: dict[str, str]) -> ConfigLoader:
    for name, text in files.items():
        path = tmp_path / "conf" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return ConfigLoader(tmp_path / "conf")


def test_a_secret_reference_outside_credentials_yml_is_refused_with_its_line(
    tmp_path: Path,
) -> None:
    catalog = "# ${secret:env:X} in a comment is fine\nx:\n  token: ${secret:env:X}\n"
    loader = _conf(tmp_path, {"base/catalog.yml": catalog})

    with pytest.raises(ConfigError) as caught:
        loader.get("catalog.yml")

    assert caught.value.message == (
        "conf/base/catalog.yml:3: ${secret:...} may only be used in credentials.yml"
    )
    assert "conf/local/credentials.yml" in (caught.value.hint or "")


def test_secret_references_in_credentials_yml_and_comments_elsewhere_are_kept(
    tmp_path: Path,
) -> None:
    loader = _conf(
        tmp_path,
        {
            "base/catalog.yml": "x:\n  type: T  # credentials: {token: ${secret:env:X}}\n",
            "local/credentials.yml": "db:\n  password: ${secret:env:X}\n",
        },
    )

    assert loader.get("catalog.yml").data == {"x": {"type": "T"}}
    assert loader.get("credentials.yml").data == {"db": {"password": "${secret:env:X}"}}
