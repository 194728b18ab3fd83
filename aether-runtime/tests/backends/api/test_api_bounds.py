"""The API dataset's bounds against real local servers: the total deadline also cuts a TLS
connection, HTTPS still works through the connections the deadline watches, and the size
cap holds at its edge (the catalogue cases in tests/reliability/test_api_limits.py drive the
CLI over plain HTTP)."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from aether import APIDataSet, DataSetError


@pytest.fixture
def certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, trusted by this process (`SSL_CERT_FILE`)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    return cert_file, key_file


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, certificate))
    return context


@pytest.fixture
def tls_httpserver(certificate: tuple[Path, Path]) -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", ssl_context=server_context(certificate))
    server.start()
    yield server
    server.clear()
    server.stop()


def finished_within(seconds: float, call: Any) -> BaseException | None:
    """What `call()` raised (None if nothing), failing the test if it is still going after
    `seconds` (the hang these tests guard against)."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
        except BaseException as error:  # handed to the test, whatever it is
            outcome.append(error)
        else:
            outcome.append(None)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert outcome, f"still waiting after {seconds} s"
    return outcome[0]


def test_https_answers_through_the_watched_connections(tls_httpserver: HTTPServer) -> None:
    tls_httpserver.expect_request("/rates").respond_with_json({"EUR": 1}, headers={"ETag": '"v7"'})
    made = APIDataSet(url=tls_httpserver.url_for("/rates").replace("localhost", "127.0.0.1"))

    assert made.load() == {"EUR": 1}
    assert made.signature() == {"etag": '"v7"'}  # HEAD over TLS too


class _TricklingTLS(socketserver.ThreadingTCPServer):
    """Completes the TLS handshake and the headers, then sends its body a byte every 0.2 s."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _TrickleHandler)
        self.context = context
        self.stop = threading.Event()


class _TrickleHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server: _TricklingTLS = self.server  # type: ignore[assignment]
        try:
            with server.context.wrap_socket(self.request, server_side=True) as conn:
                while b"\r\n\r\n" not in conn.recv(4096):
                    pass
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n[")
                while not server.stop.wait(0.2):
                    conn.sendall(b" ")
        except OSError:
            pass  # the client cut the connection: the point of the test


def test_the_deadline_cuts_a_tls_body_that_trickles(certificate: tuple[Path, Path]) -> None:
    server = _TricklingTLS(server_context(certificate))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"https://127.0.0.1:{server.server_address[1]}/rates"
        made = APIDataSet(url=url, timeout=1, deadline=1, retries=0)
        made.name = "rates"

        error = finished_within(20, made.load)
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()

    assert isinstance(error, DataSetError), error
    assert "GET https://127.0.0.1" in error.message
    assert "no complete answer within its deadline of 1 s" in error.message


@pytest.mark.parametrize(("cap", "refused"), [(1000, False), (999, True)])
def test_the_size_cap_is_inclusive(httpserver: HTTPServer, cap: int, refused: bool) -> None:
    body = "[" + " " * 998 + "]"  # 1000 bytes
    for chunked in (False, True):  # with Content-Length, and streamed without it
        httpserver.clear()
        answer = (body[i : i + 100] for i in range(0, 1000, 100)) if chunked else body
        httpserver.expect_request("/rates").respond_with_data(
            answer, content_type="application/json"
        )
        made = APIDataSet(url=httpserver.url_for("/rates"), max_response_bytes=cap)
        made.name = "rates"
        if refused:
            with pytest.raises(DataSetError, match="answered more than 999 bytes"):
                made.load()
        else:
            assert made.load() == []


def test_a_connection_that_never_answers_is_cut_at_the_deadline() -> None:
    with socket.socket() as listener:  # accepts connections (the backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/rates"
        made = APIDataSet(url=url, timeout=30, deadline=1, retries=0)
        made.name = "rates"

        error = finished_within(20, made.load)

    assert isinstance(error, DataSetError), error
    assert "deadline of 1 s" in error.message
