"""``${secret:databricks:SCOPE/KEY}`` without a ``dbutils``: databricks-sdk's
``WorkspaceClient`` asks a local HTTP server that answers ``/api/2.0/secrets/get`` as a
Databricks workspace does (the value base64-encoded; 404 ``RESOURCE_DOES_NOT_EXIST``)."""

from __future__ import annotations

import base64
import builtins
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from aether.errors import CredentialsError
from aether.secrets import SecretProviders, SecretReference, use_dbutils
from aether.support import redaction

WHERE = "credentials 'db' in conf/local/credentials.yml"
PASSWORD = "dbx-Pa55word-93e1f0"
TOKEN = "dapi-test-token-123456"


@pytest.fixture(autouse=True)
def workspace(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[HTTPServer]:
    """The environment databricks-sdk reads, pointing at the local server, and nothing else
    (no profile file, no injected or notebook ``dbutils``, an empty masking registry)."""
    for name in [n for n in os.environ if n.startswith("DATABRICKS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DATABRICKS_HOST", httpserver.url_for("/").rstrip("/"))
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no.databrickscfg"))
    monkeypatch.delattr(builtins, "dbutils", raising=False)
    use_dbutils(None)
    monkeypatch.setattr(redaction, "_secrets", set())
    monkeypatch.setattr(redaction, "_pattern", None)
    yield httpserver
    use_dbutils(None)


def _answer(httpserver: HTTPServer, scope: str, key: str, value: str) -> None:
    encoded = base64.b64encode(value.encode()).decode()
    httpserver.expect_request(
        "/api/2.0/secrets/get",
        method="GET",
        query_string={"scope": scope, "key": key},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).respond_with_json({"key": key, "value": encoded})


def _read(name: str) -> str:
    return SecretProviders().read(SecretReference("databricks", name), WHERE)


def test_a_secret_is_read_from_the_workspace_and_decoded(workspace: HTTPServer) -> None:
    _answer(workspace, "shop", "db-password", PASSWORD)

    assert _read("shop/db-password") == PASSWORD


def test_a_missing_secret_names_provider_scope_and_key(workspace: HTTPServer) -> None:
    workspace.expect_request("/api/2.0/secrets/get").respond_with_json(
        {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Secret does not exist"}, status=404
    )

    with pytest.raises(CredentialsError) as caught:
        _read("shop/absent")

    assert caught.value.message == (
        f"Secret 'shop/absent' not found by provider 'databricks' ({WHERE})"
    )
    assert "databricks secrets put-secret shop absent" in (caught.value.hint or "")


def test_a_denied_secret_names_provider_and_key_and_shows_no_token(
    workspace: HTTPServer,
) -> None:
    workspace.expect_request("/api/2.0/secrets/get").respond_with_json(
        {"error_code": "PERMISSION_DENIED", "message": "User cannot read scope shop"}, status=403
    )

    with pytest.raises(CredentialsError) as caught:
        _read("shop/db-password")

    assert caught.value.message.startswith(
        f"Provider 'databricks' could not read secret 'shop/db-password' ({WHERE}): "
    )
    assert "User cannot read scope shop" in caught.value.message
    assert TOKEN not in str(caught.value)


def test_an_injected_dbutils_is_asked_before_the_workspace(workspace: HTTPServer) -> None:
    class Secrets:
        def get(self, *, scope: str, key: str) -> str:
            return f"from-dbutils-{scope}-{key}"

    class Dbutils:
        secrets = Secrets()

    use_dbutils(Dbutils())

    assert _read("shop/k") == "from-dbutils-shop-k"
    assert workspace.log == []  # the workspace was never asked
