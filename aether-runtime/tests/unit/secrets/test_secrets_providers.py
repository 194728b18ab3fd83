"""The providers: env, file, databricks through an injected dbutils, plugins from a real
entry point, and the errors each gives (provider and name, never a value)."""

from __future__ import annotations

import builtins
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from aether.errors import ConfigError, CredentialsError
from aether.secrets import SecretProviders, SecretReference, use_dbutils
from aether.support import redaction

WHERE = "credentials 'db' in conf/local/credentials.yml"
SECRET = "s3cr3t-Hunter2-XYZ"


@pytest.fixture(autouse=True)
def empty_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redaction, "_secrets", set())
    monkeypatch.setattr(redaction, "_pattern", None)


def _read(text: str, root: Path | None = None) -> str:
    provider, _, name = text.partition(":")
    return SecretProviders(root).read(SecretReference(provider, name), WHERE)


# env --------------------------------------------------------------------------------------
def test_env_reads_the_variable_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_DB_PASSWORD", SECRET)

    assert _read("env:SHOP_DB_PASSWORD") == SECRET


def test_env_missing_names_provider_and_variable_and_says_to_export_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SHOP_DB_PASSWORD", raising=False)

    with pytest.raises(CredentialsError) as caught:
        _read("env:SHOP_DB_PASSWORD")

    assert caught.value.message == (
        f"Secret 'SHOP_DB_PASSWORD' not found by provider 'env' ({WHERE})"
    )
    assert "export SHOP_DB_PASSWORD=" in (caught.value.hint or "")


def test_an_empty_secret_is_refused_naming_provider_and_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # What a CI system injects for a secret nobody defined: an empty variable (or file).
    monkeypatch.setenv("SHOP_DB_PASSWORD", "")
    (tmp_path / "db").write_text("\n", encoding="utf-8")

    for reference in ("env:SHOP_DB_PASSWORD", "file:db"):
        with pytest.raises(CredentialsError) as caught:
            _read(reference, tmp_path)
        provider, _, name = reference.partition(":")
        assert caught.value.message == (
            f"Secret '{name}' from provider '{provider}' is empty ({WHERE})"
        )
        assert caught.value.exit_code == 2


# file -------------------------------------------------------------------------------------
def test_file_reads_relative_to_the_project_and_drops_one_trailing_newline(
    tmp_path: Path,
) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "db").write_text(f"{SECRET}\n\n", encoding="utf-8")
    (tmp_path / "secrets" / "crlf").write_text(f"{SECRET}\r\n", encoding="utf-8", newline="")

    assert _read("file:secrets/db", tmp_path) == f"{SECRET}\n"
    assert _read("file:secrets/crlf", tmp_path) == SECRET
    assert _read(f"file:{tmp_path / 'secrets' / 'db'}", Path("/elsewhere")) == f"{SECRET}\n"


def test_file_missing_is_not_found_with_the_path(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match="Secret 'secrets/db' not found by provider 'file'"):
        _read("file:secrets/db", tmp_path)


# databricks with dbutils ------------------------------------------------------------------
class FakeDbutils:
    """What Databricks gives a notebook: ``dbutils.secrets.get(scope=..., key=...)``."""

    def __init__(self, values: dict[tuple[str, str], str]) -> None:
        self.asked: list[tuple[str, str]] = []

        def get(*, scope: str, key: str) -> str:
            self.asked.append((scope, key))
            return values[(scope, key)]

        self.secrets = SimpleNamespace(get=get)


@pytest.fixture
def no_dbutils(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delattr(builtins, "dbutils", raising=False)
    yield
    use_dbutils(None)


def test_databricks_asks_an_injected_dbutils(no_dbutils: None) -> None:
    dbutils = FakeDbutils({("shop", "db-password"): SECRET})
    use_dbutils(dbutils)

    assert _read("databricks:shop/db-password") == SECRET
    assert dbutils.asked == [("shop", "db-password")]


def test_databricks_finds_the_notebooks_dbutils_in_builtins(
    no_dbutils: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(builtins, "dbutils", FakeDbutils({("s", "k"): SECRET}), raising=False)

    assert _read("databricks:s/k") == SECRET


def test_databricks_name_without_scope_is_a_config_error(no_dbutils: None) -> None:
    use_dbutils(FakeDbutils({}))

    with pytest.raises(ConfigError, match="SCOPE/KEY, not 'db-password'"):
        _read("databricks:db-password")


def test_databricks_dbutils_failure_names_provider_and_key_only(no_dbutils: None) -> None:
    use_dbutils(FakeDbutils({}))  # any key: KeyError, as a missing secret

    with pytest.raises(CredentialsError) as caught:
        _read("databricks:shop/absent")

    assert "Secret 'shop/absent' not found by provider 'databricks'" in caught.value.message


# registry and plugins ---------------------------------------------------------------------
def test_unknown_provider_lists_the_known_ones_and_the_entry_point_group() -> None:
    with pytest.raises(CredentialsError) as caught:
        _read("vualt:db")

    assert "Unknown secret provider 'vualt' in ${secret:vualt:db}" in caught.value.message
    hint = caught.value.hint or ""
    assert "aws, databricks, env, file" in hint and "'aether.secrets'" in hint


PLUGIN = """
SECRETS = {"db": "vault-Pa55word-1"}


def read(name):
    if name == "down":
        raise ConnectionError("vault.internal:8200 refused the connection")
    return SECRETS[name]


def shadow(name):
    return "not-the-environment"
"""


@pytest.fixture
def vault_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A package installed the way pip does it: a module and a dist-info with entry points."""
    site = tmp_path / "site"
    (site / "vault_secrets.py").parent.mkdir()
    (site / "vault_secrets.py").write_text(PLUGIN, encoding="utf-8")
    info = site / "vault_secrets-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: vault-secrets\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        textwrap.dedent(
            """\
            [aether.secrets]
            vault = vault_secrets:read
            env = vault_secrets:shadow
            """
        )
    )
    monkeypatch.syspath_prepend(str(site))


def test_a_plugin_from_the_entry_point_group_reads_its_secrets(
    vault_plugin: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLAIN", "from-the-environment")

    assert _read("vault:db") == "vault-Pa55word-1"
    assert "vault" in SecretProviders().known()
    assert _read("env:PLAIN") == "from-the-environment"  # a plugin cannot shadow a built-in


def test_a_plugin_lookup_error_is_not_found_and_other_errors_unreadable(
    vault_plugin: None,
) -> None:
    with pytest.raises(CredentialsError, match="Secret 'nope' not found by provider 'vault'"):
        _read("vault:nope")
    with pytest.raises(CredentialsError) as caught:
        _read("vault:down")

    assert caught.value.message == (
        f"Provider 'vault' could not read secret 'down' ({WHERE}): "
        "ConnectionError: vault.internal:8200 refused the connection"
    )


def test_a_provider_must_return_text(vault_plugin: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import vault_secrets  # type: ignore[import-not-found]

    monkeypatch.setitem(vault_secrets.SECRETS, "number", 1234567)

    with pytest.raises(CredentialsError, match="returned a int, not a string"):
        _read("vault:number")
