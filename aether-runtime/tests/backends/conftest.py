"""Real servers for the backend tests, started by the tests themselves on loopback.

- ``postgres_server``: a PostgreSQL cluster made with ``initdb`` and started with ``pg_ctl``
  (Debian's ``postgresql`` package; ``.ci/run`` installs it). Tests take a fresh database
  each from ``postgres_url``.
- ``moto_endpoint``: moto's S3 and Secrets Manager in one local HTTP server; ``s3_bucket``
  creates a fresh bucket and ``aws_env`` sets the dummy credentials every AWS client needs.
- APIs: pytest-httpserver's ``httpserver`` fixture (a real local HTTP server).

Where PostgreSQL is not installed, the tests that need it skip with a reason (a failure
under ``.ci/run``, which installs it).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

AWS_DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing-secret-key",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_SESSION_TOKEN": "testing",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_postgres_user(command: list[str]) -> list[str]:
    # initdb refuses to run as root: run the server as the `postgres` system user then.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class PostgresServer:
    """A running throwaway PostgreSQL cluster; `database()` makes an empty database."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.host = "127.0.0.1"

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://postgres@{self.host}:{self.port}/{database}"

    def database(self) -> str:
        """Create an empty database; return its SQLAlchemy URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            host=self.host, port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    binaries = _postgres_bin()
    if binaries is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql); .ci/run installs it")
    # Not under pytest's tmp_path: its 0700 parent is closed to the `postgres` user.
    data = Path(tempfile.mkdtemp(prefix="aether-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, user="postgres", group="postgres")
    port = _free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "check": True}
    subprocess.run(
        _as_postgres_user(
            [
                str(binaries / "initdb"),
                "-D",
                str(data / "db"),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
            ]
        ),
        **quiet,
    )
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = str(binaries / "pg_ctl")
    subprocess.run(
        _as_postgres_user(
            [pg_ctl, "-D", str(data / "db"), "-o", options, "-l", str(data / "log"), "-w", "start"]
        ),
        **quiet,
    )
    try:
        yield PostgresServer(port)
    finally:
        subprocess.run(
            _as_postgres_user([pg_ctl, "-D", str(data / "db"), "-m", "immediate", "-w", "stop"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The SQLAlchemy URL of a new, empty PostgreSQL database."""
    return postgres_server.database()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's S3 + Secrets Manager server on loopback: its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, moto_endpoint: str) -> dict[str, str]:
    """Dummy AWS credentials and the moto endpoint in the environment (what boto3 reads)."""
    env = {**AWS_DUMMY_ENV, "AWS_ENDPOINT_URL": moto_endpoint}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def s3_bucket(moto_endpoint: str) -> str:
    """A new, empty bucket on the moto server: its name."""
    import boto3

    name = f"bucket-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        aws_access_key_id=AWS_DUMMY_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS_DUMMY_ENV["AWS_SECRET_ACCESS_KEY"],
        region_name=AWS_DUMMY_ENV["AWS_DEFAULT_REGION"],
    )
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_credentials(moto_endpoint: str) -> dict[str, str]:
    """A credentials.yml entry for the moto S3 server, as a user writes one."""
    return {
        "key": AWS_DUMMY_ENV["AWS_ACCESS_KEY_ID"],
        "secret": AWS_DUMMY_ENV["AWS_SECRET_ACCESS_KEY"],
        "endpoint_url": moto_endpoint,
    }
