"""Reading an API's response in pages, and finding things in JSON by a dotted path.

Two styles, as `pagination:` in the catalog entry says:

- `{next_link: links.next}`: each page names the next one at that JSON path
  (`{next_link: header}`: in the `Link: <...>; rel="next"` header); no link ends it;
- `{page_param: page, start: 1}`: pages 1, 2, 3... asked for by a query parameter; a page
  with no records ends it.

`max_pages` (default 100) guards against a server that never stops; reaching it is an
error rather than a silent truncation, and so is a next link that points back to a page
already read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from aether.datasets.api_arguments import whole_number
from aether.datasets.http_client import HttpResponse

DEFAULT_MAX_PAGES = 100
MOST_PAGES = 1_000_000
MOST_START = 2**31 - 1
_KEYS = {"next_link", "page_param", "start", "max_pages"}
_LINK = re.compile(r"<([^>]*)>\s*((?:;[^,<]*)*)")
_REL_NEXT = re.compile(r""";\s*rel\s*=\s*"?([^";]*)"?""", re.I)


class PaginationError(Exception):
    """Pagination could not finish: too many pages, or a link back to a page already read."""


@dataclass(frozen=True)
class Pagination:
    """How the pages of a response are found.

    Attributes:
        next_link: The JSON path of the next page's URL, or `header` for the `Link` header.
        page_param: The query parameter that numbers pages.
        start: The first page's number.
        max_pages: The most pages read before giving up with an error.
    """

    next_link: str | None = None
    page_param: str | None = None
    start: int = 1
    max_pages: int = DEFAULT_MAX_PAGES


@dataclass(frozen=True)
class Page:
    """One page: the response and its parsed JSON."""

    response: HttpResponse
    document: Any


def parse_pagination(raw: Any) -> Pagination | None:
    """The `pagination:` mapping of a catalog entry, checked.

    Raises:
        ValueError: Not a mapping, unknown keys, both styles or neither, a bad number.
    """
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not set(raw) <= _KEYS:
        raise ValueError(
            "pagination must be {next_link: <json path> | header} or "
            f"{{page_param: <name>, start: 1}} (optional max_pages); got {raw!r}"
        )
    if ("next_link" in raw) == ("page_param" in raw):
        raise ValueError("pagination needs exactly one of next_link or page_param")
    for key in ("next_link", "page_param"):
        if key in raw and not (isinstance(raw[key], str) and raw[key]):
            raise ValueError(f"pagination.{key} must be a non-empty text")
    start = whole_number(raw.get("start", 1), "pagination.start", least=0, most=MOST_START)
    max_pages = whole_number(
        raw.get("max_pages", DEFAULT_MAX_PAGES), "pagination.max_pages", least=1, most=MOST_PAGES
    )
    return Pagination(raw.get("next_link"), raw.get("page_param"), start, max_pages)


def json_path(document: Any, path: str) -> Any:
    """The value at a dotted `path` (`data.items`, `results.0.rows`) of parsed JSON.

    Raises:
        LookupError: A step is missing; the message says which.
    """
    value = document
    walked: list[str] = []
    for step in path.split("."):
        if isinstance(value, Mapping) and step in value:
            value = value[step]
        elif (
            isinstance(value, list)
            and step.lstrip("-").isdigit()
            and -len(value) <= int(step) < len(value)
        ):
            value = value[int(step)]
        else:
            where = ".".join(walked) or "the top level"
            raise LookupError(f"no '{step}' at {where} of the JSON (looking for '{path}')")
        walked.append(step)
    return value


def next_link_in_header(link_header: str | None) -> str | None:
    """The URL of `rel="next"` in a `Link` header (RFC 8288), if any."""
    for match in _LINK.finditer(link_header or ""):
        for rel in _REL_NEXT.findall(match.group(2)):
            if "next" in rel.lower().split():
                return match.group(1)
    return None


def with_query(url: str, extra: Mapping[str, Any]) -> str:
    """`url` with the `extra` query parameters set (replacing any of the same name)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in extra]
    for name, value in extra.items():
        values = value if isinstance(value, (list, tuple)) else [value]  # ?id=1&id=2
        query += [(str(name), _query_text(item)) for item in values]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _query_text(value: Any) -> str:
    if isinstance(value, bool):  # YAML's true is Python's True; APIs expect "true"
        return "true" if value else "false"
    return str(value)


def collect_pages(
    pagination: Pagination,
    first_url: str,
    fetch: Callable[[str], Page],
    records: Callable[[Page], list[Any]],
) -> list[Page]:
    """Every page of a response, in order.

    Args:
        pagination: How pages are found.
        first_url: The first page's URL.
        fetch: Reads one page.
        records: The records of a page (for `page_param`: an empty list ends it).

    Raises:
        PaginationError: More than `max_pages`, or a next link seen before.
    """
    if pagination.page_param is not None:
        return _numbered_pages(pagination, pagination.page_param, first_url, fetch, records)
    return _linked_pages(pagination, first_url, fetch)


def _linked_pages(pagination: Pagination, url: str, fetch: Callable[[str], Page]) -> list[Page]:
    pages: list[Page] = []
    seen: set[str] = set()
    next_url: str | None = url
    while next_url is not None:
        if len(pages) == pagination.max_pages:
            raise _too_many(pagination)
        if next_url in seen:
            raise PaginationError(f"the next link of page {len(pages)} leads back to {next_url}")
        seen.add(next_url)
        page = fetch(next_url)
        pages.append(page)
        link = _next_link(pagination, page)
        next_url = urljoin(page.response.url, link) if link else None
    return pages


def _next_link(pagination: Pagination, page: Page) -> str | None:
    if pagination.next_link == "header":
        return next_link_in_header(page.response.headers.get("link"))
    try:
        link = json_path(page.document, str(pagination.next_link))
    except LookupError:
        return None  # the last page often leaves the link out altogether
    return link if isinstance(link, str) and link else None


def _numbered_pages(
    pagination: Pagination,
    param: str,
    url: str,
    fetch: Callable[[str], Page],
    records: Callable[[Page], list[Any]],
) -> list[Page]:
    pages: list[Page] = []
    for number in range(pagination.start, pagination.start + pagination.max_pages):
        page = fetch(with_query(url, {param: number}))
        if not records(page):
            return pages
        pages.append(page)
    raise _too_many(pagination)


def _too_many(pagination: Pagination) -> PaginationError:
    return PaginationError(
        f"the API still had pages after {pagination.max_pages} (pagination.max_pages); "
        "raise it if the data is really that large"
    )
