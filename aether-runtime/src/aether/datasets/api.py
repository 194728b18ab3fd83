"""`APIDataSet`: JSON from an HTTP API, read-only, as a source of a pipeline."""

from __future__ import annotations

import hashlib
import json as jsonlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aether.datasets.api_arguments import (
    checked_method,
    checked_url,
    records_path,
    seconds,
    whole_number,
)
from aether.datasets.api_auth import (
    auth_from_credentials,
    register_secret_headers,
    register_secret_params,
)
from aether.datasets.api_pages import (
    Page,
    PaginationError,
    collect_pages,
    json_path,
    parse_pagination,
    with_query,
)
from aether.datasets.api_validators import validators_signature
from aether.datasets.base import AbstractDataSet
from aether.datasets.http_client import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    USER_AGENT,
    HttpClient,
    HttpDeadlineExceeded,
    HttpRequest,
    HttpResponse,
    HttpStatusError,
    HttpTooLarge,
    HttpUnreachable,
    is_retryable_status,
    origin_of,
)
from aether.errors import DataSetError
from aether.support.redaction import redact, redact_then_cut

logger = logging.getLogger("aether.datasets")
_EXCERPT_READ_BYTES = 16 * 1024
_GONE = (404, 410)
_HEAD_REFUSED = (405, 501)
# Upper bounds of the numeric arguments: generous, but finite, so a typo such as
# `backoff: 1e300` is refused by `validate` instead of overflowing in the middle of a run.
_MOST_SECONDS = 3600.0
_MOST_DEADLINE = 86400.0
_MOST_RETRIES = 100
_MOST_BYTES = 2**40


@dataclass(frozen=True)
class _Snapshot:
    """The pages of one complete read, and the validators the server gave with them."""

    pages: tuple[Page, ...]
    signature: dict[str, Any] | None


class APIDataSet(AbstractDataSet):
    """JSON from an HTTP API: the parsed body, or a DataFrame of the records in it.

    Read-only: a node may take it as an input, never return it as an output. Requests go
    through the standard library (no extra to install), with retries and exponential
    backoff on 429, 5xx and failed connections; any other 4xx fails at once.

    Staleness: `signature()` asks with a HEAD request for the response's `ETag` and
    `Last-Modified` (falling back to a GET whose body is not read when HEAD is refused); a
    server that sends neither, a paginated response or a method other than GET has no
    signature, and Aether tells changes by `content_hash()`, the SHA-256 of every page's
    body, which means downloading them: `aether status` shows the last observation, and
    `aether run` re-observes at its start.

    Args:
        url: `http://` or `https://` URL of the resource.
        method: `GET` (default), `POST`, `PUT`, `PATCH` or `DELETE`.
        params: Query parameters added to the URL.
        headers: Extra request headers.
        json: A request body, sent as JSON.
        timeout: Seconds to wait for the server, per socket operation (connect, each read).
        retries: Attempts after the first on 429, 5xx and failed connections.
        backoff: Seconds before the first retry, doubled at each one (`Retry-After` wins
            when longer, up to 60 s).
        deadline: Seconds for a whole request, from connecting to the body's last byte,
            retries and waits included (also bounds the probe of `aether status`).
        max_response_bytes: The longest body read (default 100 MiB); a longer one fails
            the read instead of filling the memory.
        pagination: `{next_link: <json path> | header}` or `{page_param: page, start: 1}`,
            with an optional `max_pages` (default 100).
        credentials: `{token}` (bearer), `{username, password}` (basic) or `{header,
            value}`, from credentials.yml; sent only to the URL's own scheme, host and port.
        load_args: `{records: <dotted JSON path>}` returns a pandas DataFrame of the records
            found there.
        metadata: Free-form information about the dataset, kept as `metadata`.

    Attributes:
        client: The HTTP client (tests replace its `sleep`).
        metadata: Free-form information about the dataset, from the constructor.
        read_only: True: the dataset is refused as a node output before a run starts.

    Example:
        ```yaml
        fx_rates:
          type: APIDataSet
          url: https://api.example.com/rates
          params: {base: EUR}
          credentials: rates_api        # credentials.yml: rates_api: {token: ...}
          load_args: {records: data.rates}
          pagination: {next_link: links.next}
        ```
    """

    read_only = True

    def __init__(
        self,
        url: str,
        method: str = "GET",
        params: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        json: Any = None,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = 3,
        backoff: float = 0.5,
        deadline: float = DEFAULT_DEADLINE,
        max_response_bytes: int = DEFAULT_MAX_BYTES,
        pagination: dict[str, Any] | None = None,
        credentials: dict[str, Any] | None = None,
        load_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._method = checked_method(method)
        self._headers = {str(k): str(v) for k, v in (headers or {}).items()}
        self._secret_headers = register_secret_headers(self._headers)
        register_secret_params(dict(params or {}))
        self._url = with_query(checked_url(url), params) if params else checked_url(url)
        self._body = None if json is None else jsonlib.dumps(json).encode("utf-8")
        self._auth = auth_from_credentials(credentials)
        self._pagination = parse_pagination(pagination)
        next_link = self._pagination.next_link if self._pagination is not None else None
        self._records_path = records_path(load_args, next_link)
        self.client = HttpClient(
            timeout=seconds(timeout, "timeout", most=_MOST_SECONDS, zero=False),
            retries=whole_number(retries, "retries", least=0, most=_MOST_RETRIES),
            backoff=seconds(backoff, "backoff", most=_MOST_SECONDS),
            deadline=seconds(deadline, "deadline", most=_MOST_DEADLINE, zero=False),
            max_bytes=whole_number(
                max_response_bytes, "max_response_bytes", least=1, most=_MOST_BYTES
            ),
        )
        self.metadata = dict(metadata or {})
        self._snapshot: _Snapshot | None = None
        self._head_refused = False  # learnt once: a server that refuses HEAD keeps refusing
        self._last_signature: dict[str, Any] | None = None
        self._loaded_version: str | None = None

    # -- the dataset contract ---------------------------------------------------------------

    def _load(self) -> Any:
        pages = self._current_pages(for_load=True)
        self._loaded_version = _pages_hash(pages)
        if self._pagination is None and self._records_path is None:
            return pages[0].document
        records = [record for page in pages for record in self._records(page)]
        if self._records_path is None:
            return records
        import pandas as pd

        return pd.DataFrame(records)

    def _save(self, data: Any) -> None:  # pragma: no cover - save() refuses read-only first
        raise NotImplementedError("APIDataSet is read-only")

    def _exists(self) -> bool:
        if self._method != "GET":
            return True  # asking would mean sending the request itself; load() will tell
        return self._probe() is not None

    def _describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {"url": redact(self._url), "method": self._method}
        if self._auth.headers:
            described["auth"] = self._auth.kind
        if self._headers:
            described["headers"] = sorted(self._headers)  # names only: values may be keys
        if self._pagination is not None:
            described["pagination"] = {
                k: v for k, v in vars(self._pagination).items() if v is not None
            }
        if self._records_path is not None:
            described["records"] = self._records_path
        return described

    # -- staleness ----------------------------------------------------------------------

    @property
    def content_hash_is_costly(self) -> bool:
        """True: hashing the content means downloading the whole body (every page)."""
        return True

    def signature(self) -> dict[str, Any] | None:
        """The response's validators (`etag`, `last_modified`) from a cheap request.

        None when the server sends neither, when the resource is gone (404, 410), and for
        paginated responses (the first page's validators say nothing of the others) or
        methods other than GET (a HEAD of a POST endpoint means nothing).

        Raises:
            DataSetError: The server failed or could not be reached.
        """
        if self._method != "GET" or self._pagination is not None:
            return None
        response = self._probe()
        if response is None:
            return None
        if response.status == 304:  # our conditional GET: unchanged since we last looked
            return self._last_signature
        self._last_signature = validators_signature(response.headers)
        return self._last_signature

    def content_hash(self) -> str:
        """`sha256:<hex>` of the body (of every page, in order), downloaded now.

        Raises:
            DataSetError: The request failed, or the body is not JSON.
        """
        snapshot = self._reusable_snapshot(for_load=False) or self._read_snapshot(keep=True)
        return _pages_hash(snapshot.pages)

    def loaded_version(self) -> str | None:
        """The `content_hash()` of the body the last `load()` read (a server without
        validators may answer a run's look and its read differently)."""
        return self._loaded_version

    # -- reading --------------------------------------------------------------------------

    def _current_pages(self, *, for_load: bool) -> tuple[Page, ...]:
        snapshot = self._reusable_snapshot(for_load=for_load) or self._read_snapshot(keep=False)
        return snapshot.pages

    def _reusable_snapshot(self, *, for_load: bool) -> _Snapshot | None:
        """The last complete read, when it is still the current data.

        With validators, it is current while the server's still match. Without, only the
        read `content_hash()` has just made as the run observed its sources: the next
        `load()` takes it (once), so the node reads the very version the run recorded,
        without downloading it twice.
        """
        snapshot = self._snapshot
        if snapshot is None:
            return None
        if snapshot.signature is None:
            if for_load:
                self._snapshot = None
                return snapshot
            return None
        return snapshot if self.signature() == snapshot.signature else None

    def _read_snapshot(self, *, keep: bool) -> _Snapshot:
        pages = self._read_pages()
        signature = None
        if self._method == "GET" and self._pagination is None:
            signature = validators_signature(pages[0].response.headers)
        snapshot = _Snapshot(tuple(pages), signature)
        # A read without validators is kept only as the observation a load may take once.
        if keep or signature is not None:
            self._snapshot = snapshot
        return snapshot

    def _read_pages(self) -> list[Page]:
        if self._pagination is None:
            return [self._fetch_page(self._url)]
        try:
            return collect_pages(self._pagination, self._url, self._fetch_page, self._records)
        except PaginationError as error:
            raise self._error(f"pagination stopped: {error}", "check `pagination:`") from None

    def _fetch_page(self, url: str) -> Page:
        response = self._send(self._request(self._method, url, body=self._body))
        return Page(response, self._parse(response))

    def _probe(self) -> HttpResponse | None:
        """Headers of the resource without its body: HEAD, else a GET not read; None if gone."""
        if not self._head_refused:
            try:
                return self.client.send(self._request("HEAD", self._url), read_body=False)
            except HttpStatusError as failure:
                if failure.status in _GONE:
                    return None
                if failure.status not in _HEAD_REFUSED:
                    raise self._status_error("HEAD", self._url, failure) from None
            except HttpUnreachable as failure:
                raise self._unreachable_error("HEAD", self._url, failure) from None
            except HttpDeadlineExceeded as failure:
                raise self._late_error("HEAD", self._url, failure) from None
            self._head_refused = True
        etag = (self._last_signature or {}).get("etag")
        request = self._request("GET", self._url, extra={"If-None-Match": etag} if etag else {})
        try:
            return self.client.send(request, read_body=False)
        except HttpStatusError as failure:
            if failure.status in _GONE:
                return None
            raise self._status_error("GET", self._url, failure) from None
        except HttpUnreachable as failure:
            raise self._unreachable_error("GET", self._url, failure) from None
        except HttpDeadlineExceeded as failure:
            raise self._late_error("GET", self._url, failure) from None

    def _request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> HttpRequest:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **self._headers}
        secret = self._secret_headers | frozenset(self._auth.headers)
        if origin_of(url) == origin_of(self._url):
            headers.update(self._auth.headers)
        else:  # a next link elsewhere: credentials are for the configured origin only
            headers = {k: v for k, v in headers.items() if k not in secret}
        if body is not None:
            headers["Content-Type"] = "application/json"
        return HttpRequest(method, url, {**headers, **(extra or {})}, body, secret)

    def _send(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.client.send(request)
        except HttpStatusError as failure:
            raise self._status_error(request.method, request.url, failure) from None
        except HttpUnreachable as failure:
            raise self._unreachable_error(request.method, request.url, failure) from None
        except HttpDeadlineExceeded as failure:
            raise self._late_error(request.method, request.url, failure) from None
        except HttpTooLarge as failure:
            raise self._error(
                f"{request.method} {request.url} answered more than {failure.limit} bytes "
                "(max_response_bytes)",
                "narrow the request (params, pagination), or raise `max_response_bytes:` in "
                "the catalog entry if the data is really that large",
            ) from None
        logger.debug("%s %s: HTTP %s", request.method, redact(request.url), response.status)
        return response

    def _parse(self, response: HttpResponse) -> Any:
        try:
            return jsonlib.loads(response.body)
        except RecursionError:  # `[[[[...` a few thousand deep: json recurses per level
            raise self._error(
                f"{self._method} {response.url} answered JSON nested too deeply to read "
                f"(HTTP {response.status}, {len(response.body)} bytes)",
                "check the url: no API answers data nested thousands of levels deep",
            ) from None
        except ValueError:
            # Masked, then cut: a secret straddling the cut is not recognised once cut.
            text = response.body[:_EXCERPT_READ_BYTES].decode("utf-8", "replace")
            whole = len(response.body) <= _EXCERPT_READ_BYTES
            excerpt = redact_then_cut(text, 120, whole=whole)
            raise self._error(
                f"{self._method} {response.url} answered {response.content_type}, not JSON "
                f"(HTTP {response.status}): {excerpt!r}",
                "check the url and params: an HTML page often means a wrong path or a login page",
            ) from None

    def _records(self, page: Page) -> list[Any]:
        found = page.document
        if self._records_path is not None:
            try:
                found = json_path(page.document, self._records_path)
            except LookupError as missing:
                raise self._error(
                    f"{missing} answered by {page.response.url}", "check `load_args.records`"
                ) from None
        if not isinstance(found, list):
            where = f"at '{self._records_path}'" if self._records_path else "the response"
            raise self._error(
                f"the records {where} of {page.response.url} are a {type(found).__name__}, "
                "not a list",
                "point `load_args.records` at the list of records",
            )
        return found

    # -- errors -------------------------------------------------------------------------

    def _error(self, what: str, hint: str) -> DataSetError:
        return DataSetError(redact(f"Dataset '{self.name}' (APIDataSet): {what}"), hint=hint)

    def _attempts(self) -> str:
        attempts = self.client.retries + 1
        return f"after {attempts} attempt{'s' if attempts > 1 else ''}"

    def _status_error(self, method: str, url: str, failure: HttpStatusError) -> DataSetError:
        tried = f" {self._attempts()}" if is_retryable_status(failure.status) else ""
        body = f": {failure.excerpt}" if failure.excerpt else ""
        return self._error(
            f"{method} {url} answered HTTP {failure.status}{tried}{body}",
            _hint_for_status(failure.status),
        )

    def _unreachable_error(self, method: str, url: str, failure: HttpUnreachable) -> DataSetError:
        return self._error(
            f"cannot reach {failure.address} ({method} {url}): {failure.reason}, "
            f"{self._attempts()}",
            "check that the server is up and that the url's host and port are right",
        )

    def _late_error(self, method: str, url: str, failure: HttpDeadlineExceeded) -> DataSetError:
        last = f" (last attempt: {failure.last})" if failure.last else ""
        return self._error(
            f"{method} {url} got no complete answer within its deadline of "
            f"{failure.seconds:g} s{last}",
            "the server is slow or stalled: check it, or raise `deadline:` (seconds for a whole "
            "request, retries included) in the catalog entry",
        )


def _hint_for_status(status: int) -> str:
    if status in (401, 403):
        return "check the credentials the catalog entry names (conf/local/credentials.yml)"
    if status in _GONE:
        return "check the url and params in the catalog entry"
    if status == 429:
        return "the API limits requests: raise `retries` or `backoff`, or run later"
    if status >= 500:
        return "the API failed on its side: try again later"
    return "check the url, params, method and body in the catalog entry"


def _pages_hash(pages: Sequence[Page]) -> str:
    """`sha256:<hex>` of the bodies of `pages`, in order."""
    digest = hashlib.sha256()
    for page in pages:
        digest.update(len(page.response.body).to_bytes(8, "big"))  # pages stay apart
        digest.update(page.response.body)
    return "sha256:" + digest.hexdigest()
