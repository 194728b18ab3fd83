"""Delivering OpenLineage events: appended to a JSON-lines file, or POSTed to an endpoint.

A transport raises `DeliveryFailed` when an event could not be delivered; its message names
the file or the host (never a URL's password, path or query) and is safe to log. What to do
then is the listener's business (it warns once and stops sending).

Imported only by a run whose project has a lineage.yml (urllib.request costs ~80 ms).
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from aether.support.redaction import redact, register_pair

# Between the first attempt and the retry: long enough for a server restarting under a
# load balancer, short enough not to be noticed next to a node's run.
RETRY_PAUSE = 0.2
# Of the server's answer only the status matters; what is read of its body is bounded.
_ANSWER_READ = 64 * 1024


class DeliveryFailed(Exception):
    """An event could not be delivered; the message is safe to show (no secret)."""


class Transport(Protocol):
    """Where events go: `send` delivers one event or raises `DeliveryFailed`."""

    @property
    def target(self) -> str:
        """What the events go to, safe to show (a file, a host)."""

    def send(self, event: Mapping[str, Any]) -> None:
        """Deliver one event.

        Args:
            event: The OpenLineage event (JSON-able).
        """


class FileTransport:
    """Appends each event to `path` as one line of JSON, with one `write` call on a file
    opened for appending: lines of two runs appending at once never interleave.

    Args:
        path: The file (its parent folders are created).
        shown: The path as messages name it.
    """

    def __init__(self, path: Path, shown: str) -> None:
        self.path = path
        self.target = shown
        self._checked_tail = False

    def send(self, event: Mapping[str, Any]) -> None:
        line = (json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                if not self._checked_tail:
                    self._checked_tail = True
                    line = self._after_a_cut_line(line)
                written = os.write(handle, line)
            finally:
                os.close(handle)
        except OSError as exc:
            raise DeliveryFailed(f"cannot append to {self.target} ({exc.strerror})") from None
        if written != len(line):  # a full disk can take part of a write without an error
            raise DeliveryFailed(f"cannot append to {self.target} (wrote part of an event)")

    def _after_a_cut_line(self, line: bytes) -> bytes:
        """`line`, after a newline if the file ends in the middle of one (a write cut
        short by a full disk): the first event of this run must not be glued to it."""
        try:
            with open(self.path, "rb") as existing:
                existing.seek(0, os.SEEK_END)
                if existing.tell() == 0:
                    return line
                existing.seek(-1, os.SEEK_END)
                return line if existing.read(1) == b"\n" else b"\n" + line
        except OSError:  # not a regular file (/dev/stdout, a FIFO): nothing to repair
            return line


class HttpTransport:
    """POSTs each event as JSON to `url` (`<server>/api/v1/lineage` for Marquez), with one
    retry after a failure; redirects are not followed (they would carry the credentials to
    another origin).

    A `user:password@` in the URL is sent as basic authentication and taken out of the URL
    (urllib would read it as part of the host); `headers` (from credentials.yml) come last.

    Args:
        url: The endpoint's full URL.
        headers: Headers that authenticate the requests.
        timeout: Seconds one attempt may take.
    """

    def __init__(self, url: str, headers: Mapping[str, str], timeout: float) -> None:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        self.target = f"{host}:{parts.port}" if parts.port else host
        self.timeout = timeout
        self.headers = {"Content-Type": "application/json"}
        if parts.password is not None:
            user = parts.username or ""
            register_pair(user, parts.password)
            pair = f"{user}:{parts.password}".encode()
            self.headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        self.headers.update(headers)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        self.url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

    def send(self, event: Mapping[str, Any]) -> None:
        body = json.dumps(event, separators=(",", ":")).encode()
        try:
            self._post(body)
        except DeliveryFailed:
            time.sleep(RETRY_PAUSE)
            try:
                self._post(body)
            except DeliveryFailed as again:
                raise DeliveryFailed(f"{again}, retried once") from None

    def _post(self, body: bytes) -> None:
        """One attempt, bounded in total: the socket timeout bounds each read, not the
        whole answer, so a server dribbling its headers or body a byte at a time would
        hold the run for hours. The attempt runs in a daemon thread given `timeout`
        overall; one still running then is abandoned (it dies with the process)."""
        outcome: list[BaseException | None] = []

        def attempt() -> None:
            try:
                self._request(body)
            except BaseException as exc:  # handed to the caller's thread below
                outcome.append(exc)
            else:
                outcome.append(None)

        worker = threading.Thread(target=attempt, name="aether-lineage-post", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if not outcome:
            raise self._no_answer()
        if outcome[0] is not None:
            raise outcome[0]

    def _request(self, body: bytes) -> None:
        opener = urllib.request.build_opener(_NoRedirect())
        request = urllib.request.Request(self.url, data=body, headers=self.headers, method="POST")
        try:
            with opener.open(request, timeout=self.timeout) as response:
                response.read(_ANSWER_READ)
        except urllib.error.HTTPError as exc:
            raise DeliveryFailed(f"{self.target} answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):  # said as the overall deadline says it
                raise self._no_answer() from None
            why = reason if isinstance(reason, str) else type(reason).__name__
            raise DeliveryFailed(f"{self.target} unreachable ({redact(str(why))})") from None

    def _no_answer(self) -> DeliveryFailed:
        return DeliveryFailed(f"{self.target} unreachable (no answer within {self.timeout:g}s)")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx is then raised as an HTTPError: a failed delivery
