"""An S3 server that keeps a log of the requests it answers: moto's S3, on loopback, behind a
small WSGI layer that records each request's method and path, so a test can tell what was
downloaded (a GET of the object) from what was only looked at (a HEAD)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

REGION = "us-east-1"
ACCESS_KEY = "AKIAAETHERTESTKEY"
SECRET_KEY = "aether-test-secret-value-123"


class LoggedS3:
    """A running moto S3 server and the (method, path) of every request it answered."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self.requests: list[tuple[str, str]] = []
        self.endpoint = ""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.requests.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
        return self._app(environ, start_response)

    def downloads(self, bucket: str, key: str) -> int:
        """How many times the object was read (GET); HEADs and listings do not count."""
        return self.requests.count(("GET", f"/{bucket}/{key}"))

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def bucket(self, *, versioned: bool = False) -> str:
        """A new, empty bucket: its name."""
        name = f"logged-{uuid.uuid4().hex[:12]}"
        client = self.client()
        client.create_bucket(Bucket=name)
        if versioned:
            client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return name

    def credentials(self) -> dict[str, str]:
        """A credentials.yml entry for this server, as a user writes one."""
        return {
            "key": ACCESS_KEY,
            "secret": SECRET_KEY,
            "endpoint_url": self.endpoint,
            "region": REGION,
        }


@pytest.fixture(scope="session")
def logged_s3() -> Iterator[LoggedS3]:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logged = LoggedS3(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, logged, True, request_handler=MotoRequestHandler)
    logged.endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield logged
    finally:
        server.shutdown()
        thread.join()
