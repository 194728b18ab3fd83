"""``${secret:aws:NAME}`` and ``${secret:aws:NAME#key}`` against moto's Secrets Manager
server (a real HTTP endpoint; boto3 finds it through ``AWS_ENDPOINT_URL``)."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from aether.errors import CredentialsError
from aether.secrets import SecretProviders, SecretReference
from aether.support import redaction

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:botocore")

WHERE = "credentials 'db' in conf/local/credentials.yml"
PASSWORD = "aws-Pa55word-d41d8c"


@pytest.fixture(autouse=True)
def empty_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redaction, "_secrets", set())
    monkeypatch.setattr(redaction, "_pattern", None)


@pytest.fixture
def secret(aws_env: dict[str, str]) -> Callable[[str], str]:
    """``secret(text)``: a new secret holding ``text`` on the moto server: its name."""
    import boto3

    client = boto3.client("secretsmanager")

    def create(text: str) -> str:
        name = f"shop/db-{uuid.uuid4().hex[:8]}"
        client.create_secret(Name=name, SecretString=text)
        return name

    return create


def _read(name: str) -> str:
    return SecretProviders().read(SecretReference("aws", name), WHERE)


def test_a_secret_string_is_read_whole(secret: Callable[[str], str]) -> None:
    assert _read(secret(PASSWORD)) == PASSWORD


def test_one_key_of_a_json_secret_is_read(secret: Callable[[str], str]) -> None:
    name = secret(json.dumps({"username": "app", "password": PASSWORD, "port": 5432}))

    assert _read(f"{name}#password") == PASSWORD
    assert _read(f"{name}#port") == "5432"


def test_a_missing_secret_names_provider_and_secret(aws_env: dict[str, str]) -> None:
    with pytest.raises(CredentialsError) as caught:
        _read("shop/absent")

    assert caught.value.message == f"Secret 'shop/absent' not found by provider 'aws' ({WHERE})"
    assert "us-east-1" in (caught.value.hint or "")


def test_a_missing_key_lists_the_keys_never_the_values(secret: Callable[[str], str]) -> None:
    name = secret(json.dumps({"username": "app", "password": PASSWORD}))

    with pytest.raises(CredentialsError) as caught:
        _read(f"{name}#pasword")

    assert "its keys: password, username" in (caught.value.hint or "")
    assert PASSWORD not in str(caught.value)


def test_a_key_of_a_secret_that_is_not_json_is_refused_without_quoting_it(
    secret: Callable[[str], str],
) -> None:
    name = secret(PASSWORD)

    with pytest.raises(CredentialsError, match="is not a JSON object") as caught:
        _read(f"{name}#password")

    assert PASSWORD not in str(caught.value)


def test_an_unreachable_endpoint_names_provider_and_secret(
    aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as closed:  # a port nobody listens on once this socket is closed
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")

    with pytest.raises(CredentialsError) as caught:
        _read("shop/db")

    assert caught.value.message.startswith(
        f"Provider 'aws' could not read secret 'shop/db' ({WHERE}): EndpointConnectionError"
    )


def test_a_run_reads_an_aws_secret_and_never_shows_it(
    secret: Callable[[str], str],
    aws_env: dict[str, str],
    make_project: Callable[..., Path],
    aether: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    """The CLI end to end: the node receives the secret, its output and state mask it."""
    name = secret(json.dumps({"password": PASSWORD}))
    project = make_project(
        "aws_secret",
        catalog=CATALOG,
        pipeline=PIPELINE,
        local={"credentials.yml": f"db:\n  password: ${{secret:aws:{name}#password}}\n"},
        files={"src/mini/conn.py": NODE},
    )

    result = aether(project, "run", env=aws_env)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "refused {'password': '***'}" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    assert PASSWORD.encode() not in (project / ".aether" / "state.db").read_bytes()


CATALOG = """\
conn:
  type: mini.conn.ConnectionDataSet
  credentials: db
out:
  type: PandasCsvDataSet
  filepath: data/out.csv
"""

PIPELINE = """\
pipelines:
  main:
    nodes:
      - {name: connect, transformation: mini.conn.connect, inputs: {conn: conn}, outputs: out}
default: main
"""

NODE = """\
from aether import AbstractDataSet


class ConnectionDataSet(AbstractDataSet):
    def __init__(self, credentials=None):
        self.credentials = credentials

    def _load(self):
        return self.credentials

    def _save(self, data):
        raise NotImplementedError

    def _exists(self):
        return True

    def _describe(self):
        return {}


def connect(conn):
    assert conn["password"].startswith("aws-Pa55word")
    raise ConnectionError(f"refused {conn}")
"""
