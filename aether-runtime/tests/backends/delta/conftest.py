"""A moto S3 server in a process of its own, for Delta tables written from the test process.

deltalake (delta-rs) keeps the interpreter lock while it waits for its Rust I/O, so it
deadlocks against the in-thread ``moto_endpoint`` server of ``tests/backends/conftest.py``;
the CLI tests could use either, since ``aether`` runs in a subprocess there.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest

REGION = "us-east-1"
ACCESS_KEY = "AKIADELTATESTKEY"
SECRET_KEY = "delta-test-secret-value-456"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)  # polling for readiness, not waiting out a clock
    raise RuntimeError("moto_server did not start listening within 60 s")


@pytest.fixture(scope="session")
def moto_process_endpoint() -> Iterator[str]:
    """moto's server in a subprocess on loopback: its endpoint URL."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_listening(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def delta_bucket(moto_process_endpoint: str) -> str:
    """A new, empty bucket on the subprocess moto server: its name."""
    import boto3

    name = f"delta-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3",
        endpoint_url=moto_process_endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    ).create_bucket(Bucket=name)
    return name


@pytest.fixture
def delta_credentials(moto_process_endpoint: str) -> dict[str, str]:
    """A credentials.yml entry for the subprocess moto server, as a user writes one."""
    return {
        "key": ACCESS_KEY,
        "secret": SECRET_KEY,
        "endpoint_url": moto_process_endpoint,
        "region": REGION,
    }
