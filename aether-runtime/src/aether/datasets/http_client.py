"""HTTP requests for the API dataset: the standard library's urllib, with retries.

Stdlib only, so the `[api]` extra stays empty and importing this costs next to nothing.
Failures are raised as the two plain exceptions below; the dataset turns them into a
`DataSetError` that names itself. Credentials travel only to the origin (scheme, host and
port) they were configured for: a redirect elsewhere drops them, where urllib alone would
forward every header.
"""

from __future__ import annotations

import email.utils
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.client import HTTPException
from typing import Any
from urllib.parse import urlsplit

# Statuses worth another attempt: too many requests, and server-side failures except
# "not implemented", which no retry will change.
_RETRYABLE = frozenset({429} | set(range(500, 600)) - {501})
_EXCERPT_BYTES = 200
USER_AGENT = "aether-data (APIDataSet)"


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


@dataclass
class HttpClient:
    """Sends requests with retries and exponential backoff.

    A 429 or a 5xx status (but 501) and a failed connection are retried `retries` times,
    waiting `backoff * 2**attempt` seconds, or what `Retry-After` asks when longer (at most
    `max_wait`); any other 4xx is final at once.

    Attributes:
        timeout: Seconds to wait for the server, per attempt.
        retries: Attempts after the first.
        backoff: Seconds before the first retry; doubled at each one.
        max_wait: The longest wait a `Retry-After` may impose.
        sleep: How to wait (tests pass a function that records instead of sleeping).
    """

    timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5
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
        """
        attempt = 0
        while True:
            try:
                return self._send_once(request, read_body)
            except (HttpStatusError, HttpUnreachable) as failure:
                if attempt >= self.retries or not _is_retryable(failure):
                    raise
                self.sleep(self._delay(attempt, failure))
                attempt += 1

    def _delay(self, attempt: int, failure: Exception) -> float:
        delay = self.backoff * 2**attempt
        asked = getattr(failure, "retry_after", None)
        if asked is not None:
            delay = max(delay, min(asked, self.max_wait))
        return delay

    def _send_once(self, request: HttpRequest, read_body: bool) -> HttpResponse:
        prepared = _GuardedRequest(request)
        opener = urllib.request.build_opener(_CredentialsStayHome())
        try:
            with opener.open(prepared, timeout=self.timeout) as answer:
                body = answer.read() if read_body else b""
                return HttpResponse(answer.geturl(), answer.status, _lower(answer.headers), body)
        except urllib.error.HTTPError as error:
            try:
                if error.code == 304:  # not modified: an answer, not a failure
                    return HttpResponse(request.url, 304, _lower(error.headers))
                excerpt = _excerpt(error.read(_EXCERPT_BYTES))
            finally:
                error.close()
            raise HttpStatusError(error.code, excerpt, _retry_after(error.headers)) from None
        except (urllib.error.URLError, OSError, HTTPException) as error:
            raise HttpUnreachable(address_of(request.url), _reason(error)) from None


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
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        follow = super().redirect_request(req, fp, code, msg, headers, newurl)
        if follow is None:
            return None
        secret: frozenset[str] = getattr(req, "secret_headers", frozenset())
        if origin_of(newurl) != origin_of(req.full_url):
            for name in secret:
                follow.remove_header(name.capitalize())  # urllib stores names capitalized
            secret = frozenset()
        follow.secret_headers = secret  # type: ignore[attr-defined]
        return follow


def is_retryable_status(status: int) -> bool:
    """Whether a response with `status` is worth another attempt (429, 5xx but 501)."""
    return status in _RETRYABLE


def _is_retryable(failure: Exception) -> bool:
    return isinstance(failure, HttpUnreachable) or (
        isinstance(failure, HttpStatusError) and is_retryable_status(failure.status)
    )


def _lower(headers: Any) -> dict[str, str]:
    # Repeated headers (Link) are joined with commas, as HTTP allows.
    joined: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return joined


def _retry_after(headers: Any) -> float | None:
    value = (headers or {}).get("Retry-After")
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
    text = body.decode("utf-8", errors="replace")
    return " ".join(text.split())[:_EXCERPT_BYTES]


def _reason(error: BaseException) -> str:
    reason = getattr(error, "reason", None) or error
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, TimeoutError):
        return "timed out"
    text = str(reason).strip() or type(reason).__name__
    return text.splitlines()[0]
