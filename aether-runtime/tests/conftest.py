"""Shared fixtures: small Aether projects written under ``tmp_path``, and the CLI run on them.

The one way a test runs the CLI is the ``aether`` fixture (:func:`run_aether`: waited for) or
``aether_in_background`` (:func:`start_aether`: a ``Popen`` to signal or kill); both use
:func:`cli_env`. ``orders_project`` is a never-run copy of ``examples/orders``.

``make_project(scenario, ...)`` writes a project whose default configuration runs: a CSV of
numbers is doubled (``double``, tag ``prep``) and summed (``total``, tag ``report``). Each of
``catalog``, ``pipeline``, ``parameters`` is the file's new text, or a function that edits
the default text; ``local`` / ``envs`` add environment folders, ``files`` any other file.

Real servers for backend and reliability tests, started by the tests themselves on loopback:

- ``postgres_server``: a PostgreSQL cluster made with ``initdb`` and started with ``pg_ctl``
  (Debian's ``postgresql`` package; ``.ci/run`` installs it). Tests take a fresh database
  each from ``postgres_url``. Where PostgreSQL is not installed, tests that need it skip with
  a reason (a failure under ``.ci/run``, which installs it).
- ``moto_endpoint``: moto's S3 and Secrets Manager in one local HTTP server; ``s3_bucket``
  creates a fresh bucket and ``aws_env`` sets the dummy credentials every AWS client needs.
- APIs: pytest-httpserver's ``httpserver`` fixture (a real local HTTP server).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO

import pytest

CATALOG = """\
numbers:
  type: PandasCsvDataSet
  filepath: data/01_raw/numbers.csv
  metadata: {owner: data-team, description: Numbers to add up}
doubled:
  type: PandasCsvDataSet
  filepath: data/02_intermediate/doubled.csv
total:
  type: PandasCsvDataSet
  filepath: data/03_primary/total.csv
"""

PIPELINE = """\
pipelines:
  main:
    nodes:
      - name: double
        transformation: mini.nodes.double
        inputs: {rows: numbers, factor: params:factor}
        outputs: doubled
        tags: [prep]
      - name: total
        transformation: mini.nodes.total
        inputs: {rows: doubled}
        outputs: total
        tags: [report]
default: main
"""

PARAMETERS = "factor: 2\n"

NODES = '''\
"""Transformations of the fixture project."""

import pandas as pd


def double(rows, factor):
    return rows.assign(n=rows["n"] * factor)


def total(rows):
    return pd.DataFrame({"total": [int(rows["n"].sum())]})


def boom(rows):
    raise ValueError("boom on purpose")


def pair(rows):
    return rows, rows, rows


def halves(rows):
    return {"first": rows.head(1), "wrong_key": rows.tail(1)}


def passthrough(rows):
    return rows
'''


def write_project(
    root: Path,
    *,
    catalog: str | Callable[[str], str] = CATALOG,
    pipeline: str | Callable[[str], str] = PIPELINE,
    parameters: str | Callable[[str], str] = PARAMETERS,
    local: Mapping[str, str] | None = None,
    envs: Mapping[str, Mapping[str, str]] | None = None,
    files: Mapping[str, str] | None = None,
) -> Path:
    """Write a small project at ``root`` and return ``root``."""
    contents = {
        "conf/base/catalog.yml": _text(catalog, CATALOG),
        "conf/base/pipeline.yml": _text(pipeline, PIPELINE),
        "conf/base/parameters.yml": _text(parameters, PARAMETERS),
        "data/01_raw/numbers.csv": "n\n1\n2\n3\n",
        "src/mini/__init__.py": "",
        "src/mini/nodes.py": NODES,
        **{f"conf/local/{name}": text for name, text in (local or {}).items()},
        **{
            f"conf/{env}/{name}": text
            for env, env_files in (envs or {}).items()
            for name, text in env_files.items()
        },
        **(files or {}),
    }
    for relative, text in contents.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    (root / "conf" / "local").mkdir(exist_ok=True)
    return root


def _text(given: str | Callable[[str], str], default: str) -> str:
    return given(default) if callable(given) else given


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """``make_project("scenario_name", catalog=..., ...)``: a project in ``tmp_path/<name>``."""

    def make(scenario: str = "project", **overrides: object) -> Path:
        return write_project(tmp_path / scenario, **overrides)  # type: ignore[arg-type]

    return make


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a CLI subprocess: no inherited ``AETHER_*``, bytecode written as on
    a user's machine (no ``PYTHONDONTWRITEBYTECODE``, which hides stale-``.pyc`` bugs), wide
    plain unbuffered output, then ``extra``."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AETHER_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    environ.update({"COLUMNS": "250", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1", **(extra or {})})
    return environ


def _command(args: tuple[str, ...], debug: bool) -> list[str]:
    return [sys.executable, "-m", "aether", *(["--debug"] if debug else []), *args]


def run_aether(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    debug: bool = False,
    input: str | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """``python -m aether [--debug] ARGS`` in ``cwd`` (a project or any folder in it), as a
    user would type it; ``env`` adds to :func:`cli_env`, ``input`` is fed to stdin. The
    generous ``timeout`` only stops a hung run: template renders and scale cases
    legitimately take minutes on a busy machine."""
    return subprocess.run(
        _command(args, debug),
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        env=cli_env(env),
        timeout=timeout,
    )


def start_aether(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    stdout: int | IO[str] = subprocess.PIPE,
    stderr: int | IO[str] = subprocess.PIPE,
) -> subprocess.Popen[str]:
    """``python -m aether ARGS`` started in the background, not waited for (output piped,
    or to the given file or ``subprocess.DEVNULL``)."""
    return subprocess.Popen(
        _command(args, debug=False),
        cwd=cwd,
        stdout=stdout,
        stderr=stderr,
        text=True,
        env=cli_env(env),
    )


@pytest.fixture(scope="session")
def aether() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``aether(project, "run", "--env", "prod", env={...}, debug=True)``: the CLI in a
    subprocess (:func:`run_aether`)."""
    return run_aether


@pytest.fixture(scope="session")
def aether_in_background() -> Callable[..., subprocess.Popen[str]]:
    """``aether_in_background(project, "run", env={...})``: the CLI started, not waited for
    (:func:`start_aether`)."""
    return start_aether


ORDERS_EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "orders"


def copy_orders_example(target: Path) -> Path:
    """A copy of ``examples/orders`` at ``target`` that was never run: no state, no outputs."""
    shutil.copytree(
        ORDERS_EXAMPLE,
        target,
        ignore=shutil.ignore_patterns("02_*", "08_*", ".aether", "__pycache__"),
    )
    return target


@pytest.fixture(scope="session")
def copy_orders() -> Callable[[Path], Path]:
    """``copy_orders(target)``: :func:`copy_orders_example`, for fixtures of wider scope."""
    return copy_orders_example


@pytest.fixture
def orders_project(tmp_path: Path) -> Path:
    """A never-run copy of ``examples/orders`` at ``tmp_path/orders``."""
    return copy_orders_example(tmp_path / "orders")


# --- real servers ---------------------------------------------------------------

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


@pytest.fixture(params=("sqlite", "duckdb", "postgresql"))
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The SQLAlchemy URL of an empty database of each kind, in turn (narrow it with
    ``@pytest.mark.parametrize("database_url", [...], indirect=True)``)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.db'}"
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    return str(request.getfixturevalue("postgres_url"))


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
