"""HTTP requests for the API dataset: the standard library's urllib, with retries.

Stdlib only, so the `[api]` extra stays empty and importing this costs next to nothing.
Failures are raised as the plain exceptions below; the dataset turns them into a
`DataSetError` that names itself. Credentials travel only to the origin (scheme, host and
port) they were configured for: a redirect elsewhere drops them, where urllib alone would
forward every header.

A socket timeout bounds each read, not a request: a server that trickles one byte a second
never trips it. So every `send()` has a total deadline (connect, headers, body, redirects,
retries and the waits between them): when it passes, a timer shuts the connection's socket
down, which wakes the blocked read at once. A body is read up to a size cap, so an endless
answer is refused instead of filling the memory.
"""

from __future__ import annotations

import contextlib
import email.message
import email.utils
import http.client
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.client import HTTPException
from typing import IO, Any
from urllib.parse import urlsplit

from aether.support.redaction import redact_then_cut

# Statuses worth another attempt: too many requests, and server-side failures except
# "not implemented", which no retry will change.
_RETRYABLE = frozenset({429} | set(range(500, 600)) - {501})
_EXCERPT_BYTES = 200
# Read well past the excerpt so a secret straddling its end is whole when masked.
_EXCERPT_READ_BYTES = 16 * 1024
_CHUNK_BYTES = 64 * 1024
USER_AGENT = "aether-data (APIDataSet)"
DEFAULT_TIMEOUT = 30.0
DEFAULT_DEADLINE = 120.0
DEFAULT_MAX_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True)
class HttpRequest:
    """One request to send.

    Attributes:
        method: `GET`, `POST`...
        url: The full URL, query included.
        headers: Header names and values.
        body: The request body, or None.
        secret_headers: Names of headers that carry credentials (dropped on a redirect to
            another origin).
    """

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    secret_headers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class HttpResponse:
    """A response with a 2xx or 304 status.

    Attributes:
        url: The URL that answered (after redirects).
        status: The HTTP status code.
        headers: Header values by lower-case name.
        body: The body, or b"" when it was not read.
    """

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes = b""

    @property
    def content_type(self) -> str:
        """The media type, without parameters (`application/json`), or `unknown`."""
        return self.headers.get("content-type", "unknown").split(";")[0].strip() or "unknown"


class HttpStatusError(Exception):
    """The server answered with an error status (after any retries).

    Attributes:
        status: The HTTP status code.
        excerpt: The start of the body, one line.
        retry_after: Seconds the server asked to wait (`Retry-After`), if it said.
    """

    def __init__(self, status: int, excerpt: str, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.excerpt = excerpt
        self.retry_after = retry_after


class HttpUnreachable(Exception):
    """No answer: connection refused, reset, timed out, or the name does not resolve.

    Attributes:
        address: `host:port` that could not be reached.
        reason: What the system said, short.
    """

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(f"cannot reach {address}: {reason}")
        self.address = address
        self.reason = reason


class HttpDeadlineExceeded(Exception):
    """The whole request (retries and waits included) did not finish within its deadline.

    Attributes:
        address: `host:port` asked.
        seconds: The deadline, in seconds.
        last: What the last attempt got, when it failed before the deadline, else None.
    """

    def __init__(self, address: str, seconds: float, last: str | None = None) -> None:
        super().__init__(f"{address}: no complete answer within {seconds:g} s")
        self.address = address
        self.seconds = seconds
        self.last = last


class HttpTooLarge(Exception):
    """The body is longer than the client accepts.

    Attributes:
        address: `host:port` that answered.
        limit: The most bytes accepted.
    """

    def __init__(self, address: str, limit: int) -> None:
        super().__init__(f"{address} answered more than {limit} bytes")
        self.address = address
        self.limit = limit


@dataclass
class HttpClient:
    """Sends requests with retries and exponential backoff.

    A 429 or a 5xx status (but 501) and a failed connection are retried `retries` times,
    waiting `backoff * 2**attempt` seconds, or what `Retry-After` asks when longer (at most
    `max_wait`); any other 4xx is final at once. No retry starts whose wait would end past
    the deadline.

    Attributes:
        timeout: Seconds to wait for the server, per socket operation.
        retries: Attempts after the first.
        backoff: Seconds before the first retry; doubled at each one.
        deadline: Seconds for a whole `send()`, every attempt and wait included.
        max_bytes: The longest body read; a longer one raises HttpTooLarge.
        max_wait: The longest wait a `Retry-After` may impose.
        sleep: How to wait (tests pass a function that records instead of sleeping).
    """

    timeout: float = DEFAULT_TIMEOUT
    retries: int = 3
    backoff: float = 0.5
    deadline: float = DEFAULT_DEADLINE
    max_bytes: int = DEFAULT_MAX_BYTES
    max_wait: float = 60.0
    sleep: Callable[[float], Any] = time.sleep

    def send(self, request: HttpRequest, *, read_body: bool = True) -> HttpResponse:
        """The response to `request`, retried as the class says.

        Args:
            request: What to send.
            read_body: False to close the connection once the headers are in (a probe).

        Raises:
            HttpStatusError: A status other than 2xx and 304, after the retries it deserves.
            HttpUnreachable: No answer, after the retries.
            HttpDeadlineExceeded: No complete answer within `deadline` seconds.
            HttpTooLarge: A body longer than `max_bytes`.
        """
        ends_at = time.monotonic() + self.deadline
        attempt = 0
        while True:
            try:
                return self._send_once(request, read_body, ends_at)
            except (HttpStatusError, HttpUnreachable) as failure:
                if attempt >= self.retries or not _is_retryable(failure):
                    raise
                delay = self._delay(attempt, failure)
                if delay >= ends_at - time.monotonic():
                    raise self._late(request, failure) from None
                self.sleep(delay)
                attempt += 1

    def _late(self, request: HttpRequest, last: Exception | None = None) -> HttpDeadlineExceeded:
        return HttpDeadlineExceeded(
            address_of(request.url), self.deadline, None if last is None else _summary(last)
        )

    def _delay(self, attempt: int, failure: Exception) -> float:
        delay = self.backoff * 2.0**attempt
        if isinstance(failure, HttpStatusError) and failure.retry_after is not None:
            delay = max(delay, min(failure.retry_after, self.max_wait))
        return delay

    def _send_once(self, request: HttpRequest, read_body: bool, ends_at: float) -> HttpResponse:
        remaining = ends_at - time.monotonic()
        if remaining <= 0:
            raise self._late(request)
        sockets = _Sockets()
        timer = threading.Timer(remaining, sockets.cut)
        timer.daemon = True
        timer.start()
        try:
            response = self._attempt(request, read_body, min(self.timeout, remaining), sockets)
        except (HttpStatusError, HttpUnreachable, HttpTooLarge):
            if sockets.was_cut:  # the failure is the cut itself, or came too late anyway
                raise self._late(request) from None
            raise
        finally:
            timer.cancel()
        if sockets.was_cut:  # a body cut short can read as a complete one
            raise self._late(request)
        return response

    def _attempt(
        self, request: HttpRequest, read_body: bool, timeout: float, sockets: _Sockets
    ) -> HttpResponse:
        prepared = _GuardedRequest(request)
        opener = urllib.request.build_opener(
            _CredentialsStayHome(), _WatchedHTTPHandler(sockets), _WatchedHTTPSHandler(sockets)
        )
        try:
            with opener.open(prepared, timeout=timeout) as answer:
                body = _read_capped(answer, self.max_bytes, request.url) if read_body else b""
                return HttpResponse(answer.geturl(), answer.status, _lower(answer.headers), body)
        except urllib.error.HTTPError as error:
            try:
                if error.code == 304:  # not modified: an answer, not a failure
                    return HttpResponse(request.url, 304, _lower(error.headers))
                excerpt = _excerpt(error.read(_EXCERPT_READ_BYTES))
            finally:
                error.close()
            raise HttpStatusError(error.code, excerpt, _retry_after(error.headers)) from None
        except (urllib.error.URLError, OSError, HTTPException) as error:
            raise HttpUnreachable(address_of(request.url), _reason(error)) from None


def _read_capped(answer: http.client.HTTPResponse, limit: int, url: str) -> bytes:
    """The body of `answer`, refused as soon as it is longer than `limit` bytes."""
    length = (answer.headers.get("Content-Length") or "").strip()
    if length.isdigit() and int(length) > limit:
        raise HttpTooLarge(address_of(url), limit)
    chunks: list[bytes] = []
    total = 0
    while chunk := answer.read(min(_CHUNK_BYTES, limit + 1 - total)):
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise HttpTooLarge(address_of(url), limit)
    return b"".join(chunks)


class _Sockets:
    """The sockets of one attempt, shut down together when its deadline passes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self.was_cut = False

    def watch(self, sock: socket.socket) -> socket.socket:
        """`sock`, to be shut down at the deadline (at once if it has passed)."""
        with self._lock:
            self._open.append(sock)
            if self.was_cut:
                _shut(sock)
        return sock

    def cut(self) -> None:
        """Shut every socket down: a read blocked on one returns at once."""
        with self._lock:
            self.was_cut = True
            for sock in self._open:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also for TLS: SSLSocket's would touch the TLS state
    # another thread is reading with; the descriptor's shutdown just wakes that read. An
    # error means already closed, or detached when TLS wrapped it.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watched(
    base: type[http.client.HTTPConnection], sockets: _Sockets
) -> Callable[..., http.client.HTTPConnection]:
    """A connection class for urllib whose sockets `sockets` can cut."""

    def connection(host: str, **kwargs: Any) -> http.client.HTTPConnection:
        made = base(host, **kwargs)

        # The raw socket as soon as TCP connects (a TLS handshake can stall too), then the
        # TLS socket that replaces it.
        def create_connection(*args: Any, **options: Any) -> socket.socket:
            return sockets.watch(socket.create_connection(*args, **options))

        # http.client's hook for opening the socket, which the stubs leave out.
        made._create_connection = create_connection  # type: ignore[attr-defined]
        original_connect = made.connect

        def connect() -> None:
            original_connect()
            sockets.watch(made.sock)

        made.connect = connect  # type: ignore[method-assign]  # wraps this connection alone
        return made

    return connection


class _WatchedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, sockets: _Sockets) -> None:
        super().__init__()
        self._sockets = sockets

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_watched(http.client.HTTPConnection, self._sockets), req)


class _WatchedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, sockets: _Sockets) -> None:
        super().__init__()
        self._sockets = sockets

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = _watched(http.client.HTTPSConnection, self._sockets)
        return self.do_open(connection, req, context=getattr(self, "_context", None))


def address_of(url: str) -> str:
    """`host:port` of `url`, the port made explicit (80 for http, 443 for https)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.hostname}:{port or (443 if parts.scheme == 'https' else 80)}"


def origin_of(url: str) -> tuple[str, str]:
    """Scheme and `host:port` of `url`: where credentials may be sent."""
    return urlsplit(url).scheme.lower(), address_of(url)


class _GuardedRequest(urllib.request.Request):
    """A urllib request that remembers which of its headers are credentials."""

    def __init__(self, request: HttpRequest) -> None:
        super().__init__(
            request.url, data=request.body, headers=dict(request.headers), method=request.method
        )
        self.secret_headers = request.secret_headers


class _CredentialsStayHome(urllib.request.HTTPRedirectHandler):
    """Follows redirects, but sends credentials only to the origin they were meant for."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        follow = super().redirect_request(req, fp, code, msg, headers, newurl)
        if follow is None:
            return None
        secret: frozenset[str] = getattr(req, "secret_headers", frozenset())
        if origin_of(newurl) != origin_of(req.full_url):
            for name in secret:
                follow.remove_header(name.capitalize())  # urllib stores names capitalized
            secret = frozenset()
        # The redirect carries which headers are secret to the next hop (read with getattr).
        follow.secret_headers = secret  # type: ignore[attr-defined]
        return follow


def is_retryable_status(status: int) -> bool:
    """Whether a response with `status` is worth another attempt (429, 5xx but 501)."""
    return status in _RETRYABLE


def _is_retryable(failure: Exception) -> bool:
    return isinstance(failure, HttpUnreachable) or (
        isinstance(failure, HttpStatusError) and is_retryable_status(failure.status)
    )


def _summary(failure: Exception) -> str:
    if isinstance(failure, HttpStatusError):
        return f"HTTP {failure.status}"
    if isinstance(failure, HttpUnreachable):
        return failure.reason
    return type(failure).__name__


def _lower(headers: email.message.Message) -> dict[str, str]:
    # Repeated headers (Link) are joined with commas, as HTTP allows.
    joined: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return joined


def _retry_after(headers: email.message.Message | None) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _excerpt(body: bytes) -> str:
    # Masked, then cut: a secret straddling the cut would not be recognised once cut.
    text = body.decode("utf-8", errors="replace")
    return redact_then_cut(text, _EXCERPT_BYTES, whole=len(body) < _EXCERPT_READ_BYTES)


def _reason(error: BaseException) -> str:
    reason = getattr(error, "reason", None) or error
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, TimeoutError):
        return "timed out"
    text = str(reason).strip() or type(reason).__name__
    return text.splitlines()[0]
