"""Hostile APIs against the API dataset's bounds: a total deadline per request, a response
size cap, JSON nesting, and numeric arguments checked before anything runs.

Each hostile server is a raw socket server on 127.0.0.1 written here: it trickles its headers
or its body (a byte well within the socket timeout, so only a total deadline stops it), sends
an endless body, or a document nested 200,000 levels deep. The deadlines configured in the
catalog are a second or two, so the cases stay fast; the subprocess timeout only catches a
hang (the failure these cases guard against).
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from .conftest import assert_no_traceback, assert_refused, assert_unchanged, snapshot

Aether = Callable[..., subprocess.CompletedProcess[str]]
MakeProject = Callable[..., Path]
Behaviour = Callable[[socket.socket, str, threading.Event], None]
HANG = 60  # seconds: a command still going by then hangs (the bug), it is not slow
TRICKLE = 0.2  # seconds between two bytes: far below the socket timeout of 1 s


def trickle_headers(conn: socket.socket, method: str, stop: threading.Event) -> None:
    """A status line, then a header one byte at a time, never finished."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    while not stop.wait(TRICKLE):
        conn.sendall(b"a")


def trickle_body(conn: socket.socket, method: str, stop: threading.Event) -> None:
    """Prompt headers (with an ETag, so HEAD answers at once), then a body a byte at a time."""
    head = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nETag: "v1"\r\n'
    conn.sendall(head + b"Content-Length: 100000\r\n\r\n")
    if method == "HEAD":
        return
    conn.sendall(b'{"data": [')
    while not stop.wait(TRICKLE):
        conn.sendall(b" ")


def endless_body(conn: socket.socket, method: str, stop: threading.Event) -> None:
    """A JSON list that never ends, as fast as the client takes it (no Content-Length)."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
    if method == "HEAD":
        return
    conn.sendall(b'{"data": [')
    chunk = b'{"n": 1}, ' * 6000
    while not stop.is_set():
        conn.sendall(chunk)


def deep_nesting(conn: socket.socket, method: str, stop: threading.Event) -> None:
    """A complete, well-formed answer: 200,000 opening brackets, then as many closing."""
    body = b"[" * 200_000 + b"]" * 200_000
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    conn.sendall(head + f"Content-Length: {len(body)}\r\n\r\n".encode())
    if method != "HEAD":
        conn.sendall(body)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    behaviour: Behaviour
    stop: threading.Event


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server: _Server = self.server  # type: ignore[assignment]
        request = b""
        while b"\r\n\r\n" not in request:
            data = self.request.recv(4096)
            if not data:
                return
            request += data
        method = request.split(b" ", 1)[0].decode()
        # An OSError is the client giving up: exactly what these servers are for.
        with contextlib.suppress(OSError):
            server.behaviour(self.request, method, server.stop)


@pytest.fixture
def hostile() -> Iterator[Callable[[Behaviour], str]]:
    """``hostile(behaviour)``: the URL of a fresh raw server answering every request so."""
    servers: list[_Server] = []

    def start(behaviour: Behaviour) -> str:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.behaviour, server.stop = behaviour, threading.Event()
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/numbers"

    yield start
    for server in servers:
        server.stop.set()
        server.shutdown()
        server.server_close()


def api_project(make_project: MakeProject, url: str, settings: str) -> Path:
    """The fixture project with ``numbers`` read from the API at ``url``."""
    source = f"numbers:\n  type: APIDataSet\n  url: {url}\n  load_args: {{records: data}}\n"
    source += "".join(f"  {line}\n" for line in settings.splitlines())
    return make_project(catalog=lambda catalog: source + "doubled:" + catalog.split("doubled:")[1])


def failed_run(aether: Aether, project: Path) -> str:
    """``aether run`` ends (exit 1, no traceback, nothing built); why ``double`` was held
    back, on one line naming the dataset."""
    result = aether(project, "run", timeout=HANG)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert_no_traceback(result)
    assert not (project / "data" / "02_intermediate" / "doubled.csv").exists()
    lines = [line for line in result.stdout.splitlines() if line.startswith("double  skipped")]
    assert len(lines) == 1 and "Dataset 'numbers' (APIDataSet)" in lines[0], output
    return lines[0]


@pytest.mark.parametrize("behaviour", [trickle_headers, trickle_body], ids=["headers", "body"])
def test_a_trickling_api_fails_the_run_at_its_deadline(
    make_project: MakeProject, aether: Aether, hostile: Callable[[Behaviour], str], behaviour
) -> None:
    """An API that trickles its headers or its body (a byte every 0.2 s, never tripping the
    1 s socket timeout) fails the run at the entry's `deadline` (the whole request), with one
    line naming the dataset and the deadline: the run never hangs."""
    project = api_project(make_project, hostile(behaviour), "timeout: 1\ndeadline: 1.5")

    started = time.monotonic()
    line = failed_run(aether, project)

    assert "no complete answer within its deadline of 1.5 s" in line, line
    assert time.monotonic() - started < HANG / 2


def test_status_on_a_trickling_api_says_failed_within_the_deadline(
    make_project: MakeProject, aether: Aether, hostile: Callable[[Behaviour], str]
) -> None:
    """`aether status` probes an API within the entry's `deadline`: a server that trickles
    its headers makes the source `failed` with the reason on one line, never a hang, and the
    project's files are left as they were."""
    project = api_project(make_project, hostile(trickle_headers), "timeout: 1\ndeadline: 1")
    before = snapshot(project, include_state=False)

    result = aether(project, "status", "--exit-code", timeout=HANG)

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert_no_traceback(result)
    numbers = [line for line in result.stdout.splitlines() if line.lstrip().startswith("numbers")]
    assert len(numbers) == 1 and "failed" in numbers[0], output
    assert "HEAD" in numbers[0] and "deadline of 1 s" in numbers[0], output
    assert_unchanged(before, snapshot(project, include_state=False))


def test_retries_and_their_waits_stay_within_the_deadline(
    make_project: MakeProject, aether: Aether, httpserver: HTTPServer
) -> None:
    """An API failing with 503 on every attempt, with `retries: 100` and `backoff: 1`, fails
    the run at the `deadline` instead of retrying for hours; the message says what the last
    attempt got."""
    httpserver.expect_request("/numbers").respond_with_data("busy", status=503)
    settings = "retries: 100\nbackoff: 1\ndeadline: 2"
    project = api_project(make_project, httpserver.url_for("/numbers"), settings)

    line = failed_run(aether, project)

    assert "deadline of 2 s (last attempt: HTTP 503)" in line, line
    assert len(httpserver.log) <= 4  # 1 + 1 s + 2 s of waits would already pass 2 s


def test_an_endless_body_is_refused_at_the_size_cap(
    make_project: MakeProject, aether: Aether, hostile: Callable[[Behaviour], str]
) -> None:
    """An API whose body never ends fails the run once `max_response_bytes` are read (one
    line naming the dataset and the setting), instead of filling the memory."""
    settings = "max_response_bytes: 1000000\ndeadline: 30"
    project = api_project(make_project, hostile(endless_body), settings)

    line = failed_run(aether, project)

    assert "answered more than 1000000 bytes (max_response_bytes)" in line, line


def test_json_nested_too_deeply_is_one_line_not_a_recursion_error(
    make_project: MakeProject, aether: Aether, hostile: Callable[[Behaviour], str]
) -> None:
    """A well-formed body of 200,000 nested lists fails the run with one line naming the
    dataset and what to check, never a RecursionError traceback."""
    project = api_project(make_project, hostile(deep_nesting), "deadline: 30")

    line = failed_run(aether, project)

    assert "answered JSON nested too deeply to read" in line, line
    assert "RecursionError" not in line


@pytest.mark.parametrize(
    ("setting", "key"),
    [
        ("timeout: .nan", "timeout"),
        ("timeout: 0", "timeout"),
        ("backoff: 1.0e+300", "backoff"),
        ("deadline: .inf", "deadline"),
        ("retries: 1.0e+300", "retries"),
        ("retries: 2.5", "retries"),
        ("max_response_bytes: -1", "max_response_bytes"),
        ("pagination: {page_param: page, max_pages: 99999999999}", "pagination.max_pages"),
        ("pagination: {page_param: page, start: 99999999999999}", "pagination.start"),
    ],
)
def test_numeric_arguments_out_of_range_are_refused_by_validate(
    make_project: MakeProject, aether: Aether, setting: str, key: str
) -> None:
    """Every numeric argument of an API entry (timeout, deadline, retries, backoff, the size
    cap, the page numbers) must be finite and in range: `validate` and `run` refuse it with
    exit 2 and one line naming the entry and the key, before any request; nothing written."""
    with socket.socket() as sock:  # nothing listens: a request would show as a failure
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/numbers"
    project = api_project(make_project, url, setting)
    before = snapshot(project)

    for command in ("validate", "run"):
        line = assert_refused(aether(project, command), project, before, "'numbers'")
        assert f"{key} must be a" in line, line
