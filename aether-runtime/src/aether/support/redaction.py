"""Masking secrets by value, wherever text leaves Aether: output, errors, logs, state, files.

Every credential value Aether resolves (credentials.yml, ``${env:...}`` inside it) is
registered here once (:func:`register_credentials`), in every process that resolves it, and
each sink passes its text through :func:`redact` (or :func:`redact_value` for data): each
registered value becomes ``***``. Independently of the registry, the password of a URL
(``scheme://user:PASSWORD@host``) and the value of token-like parameters (``token=``,
``api_key=``, ``sig=``...) are masked in any text, since they are secrets wherever they come
from (a catalog ``filepath``, a webhook URL, a driver's error message).

Not masked, on purpose: values shorter than :data:`MIN_SECRET_LENGTH` (masking ``"1"`` or
``"eu"`` would garble every message and protect nothing) and the values of keys that are
public by nature (:data:`PUBLIC_KEYS`: a host name in an error is what makes it useful).

Example::

    register_credentials({"db": {"host": "db.example.com", "password": "s3cr3t-Hunter2"}})
    redact("login to db.example.com with s3cr3t-Hunter2 failed")
    # 'login to db.example.com with *** failed'
"""

from __future__ import annotations

import base64
import json
import re
import sys
import threading
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

MASK = "***"
MIN_SECRET_LENGTH = 6
PUBLIC_KEYS = frozenset(
    {"host", "hostname", "port", "database", "region", "endpoint_url", "user", "username"}
)
# scheme://user:PASSWORD@ : the user is kept (it is public and helps recognise the URL).
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][\w+.\-]*://[^/\s:@]*):[^/\s@]+@")
# Names of parameters whose value is a secret, anywhere in text: token=, api_key=, password=...
_SECRET_NAMES = (
    r"[\w\-]*(?:token|api[_\-]?key|access[_\-]?key|secret|password|passwd|pwd|credential"
    r"|signature)"
)
# `key=` and `sig=` are secrets only as URL query parameters (?key=..., &sig=...): in plain text
# ("processing key=customer_id") masking them would garble users' own messages.
_TOKEN_PARAMETER = re.compile(
    rf"((?:(?<![\w\-])(?:{_SECRET_NAMES})|(?<=[?&])(?:key|sig))=)[^&\s#\"'<>;,)]+", re.I
)

_REFERENCE = re.compile(r"\$\{[^}]*\}")
_SECRET_KEY = re.compile(_SECRET_NAMES, re.I)

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None


def register(value: object) -> None:
    """Mask ``value`` (and the secret parts of it, if it is a URL) from now on."""
    global _pattern
    parts = _secret_parts(value)
    for match in _URL_PASSWORD.finditer(str(value) if isinstance(value, str) else ""):
        user = match.group(1).split("://", 1)[1]
        register_pair(user, match.group(0)[len(match.group(1)) + 1 : -1])
    found = {text for part in parts for text in _spellings(part) if text not in _secrets}
    if not found:
        return
    with _lock:
        _secrets.update(found)
        ordered = sorted(_secrets, key=len, reverse=True)  # longest first: no partial masks
        _pattern = re.compile("|".join(re.escape(text) for text in ordered))


def register_pair(user: object, secret: object) -> None:
    """Mask the base64 forms of ``user:secret`` (HTTP Basic credentials), which do not
    contain the base64 of ``secret`` alone: an echoed ``Authorization`` header is masked."""
    global _pattern
    if user is None or secret is None or len(str(secret)) < MIN_SECRET_LENGTH:
        return
    found = _base64_spellings(f"{user}:{secret}") - _secrets
    if not found:
        return
    with _lock:
        _secrets.update(found)
        ordered = sorted(_secrets, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(text) for text in ordered))


def register_credentials(credentials: object) -> None:
    """Register every secret value of credentials.yml's content, at any depth."""
    if isinstance(credentials, Mapping):
        user = next((credentials[k] for k in ("user", "username") if k in credentials), None)
        for key, value in credentials.items():
            if str(key).lower() not in PUBLIC_KEYS:
                register_credentials(value)
                if isinstance(value, (str, int)) and not isinstance(value, bool):
                    register_pair(user, value)
    elif isinstance(credentials, (list, tuple)):
        for value in credentials:
            register_credentials(value)
    else:
        register(credentials)


def redact(text: str) -> str:
    """``text`` with every registered secret, URL password and token parameter masked."""
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    if "://" in text:
        text = redact_url(text)
    if "=" in text:
        text = _TOKEN_PARAMETER.sub(rf"\1{MASK}", text)
    return text


def redact_then_cut(text: str, limit: int, *, whole: bool = True) -> str:
    """``text`` masked, then cut to ``limit`` characters: cut first, a secret straddling the
    cut would no longer be recognised and its first characters would go out in clear.

    Runs of whitespace are collapsed (an excerpt stays one line); ``text`` is masked before
    and after, since collapsing can turn into a secret's spelling what was not one.
    ``whole=False`` says ``text`` is itself the start of a longer text (a body read up to
    a bound): a secret cut off at its end is masked too, by the start it shows.
    """
    text = " ".join(redact(text).split())
    text = redact(text)
    if not whole:
        text = _mask_cut_tail(text)
    return text if len(text) <= limit else text[:limit]


def redact_url(text: str) -> str:
    """``ftp://bob:***@host/x`` for ``ftp://bob:secret@host/x``, wherever it appears."""
    return _URL_PASSWORD.sub(rf"\1:{MASK}@", text)


def redact_value(value: Any) -> Any:
    """A copy of ``value`` (dicts, lists, tuples, strings) with every string redacted.

    A non-string scalar whose text is a registered secret (a numeric PIN) becomes ``***``.
    """
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return redact_mapping(value)
    if isinstance(value, (list, tuple)):
        return type(value)(redact_value(item) for item in value)
    if value is not None and not isinstance(value, bool) and str(value) in _secrets:
        return MASK
    return value


def redact_mapping(value: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``value`` with every string in its values redacted (see `redact_value`)."""
    return {key: redact_value(item) for key, item in value.items()}


def has_named_secret(value: object) -> bool:
    """Whether ``value`` (parsed YAML) holds a secret written in clear under a secret's name
    (``password: hunter2``). A ``${env:...}`` reference is none, nor is ``credentials:
    <name>``, which names an entry of credentials.yml."""
    if isinstance(value, Mapping):
        return any(_is_named_secret(k, v) or has_named_secret(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(has_named_secret(item) for item in value)
    return False


def register_named_secrets(value: object) -> None:
    """Mask from now on every value held under a secret's name in ``value`` (parsed YAML),
    at any depth: a ``token:`` kept in conf/local/parameters.yml (allowed there) must not
    come back in a node's error, a log or an event."""
    stack = [value]
    while stack:  # a loop, not recursion: parameters may nest deeply
        item = stack.pop()
        if isinstance(item, Mapping):
            for key, inner in item.items():
                if _is_named_secret(key, inner):
                    register(str(inner))
                else:
                    stack.append(inner)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def _is_named_secret(key: object, value: object) -> bool:
    if value is None or isinstance(value, (Mapping, list, tuple, bool)):
        return False
    name = str(key)
    if name.lower() == "credentials" or not _SECRET_KEY.fullmatch(name):
        return False
    return bool(_REFERENCE.sub("", str(value)).strip())


def has_url_secret(text: str) -> bool:
    """Whether ``text`` holds a URL password or a token-like parameter written in clear."""
    return redact_url(text) != text or _TOKEN_PARAMETER.sub(rf"\1{MASK}", text) != text


def url_secret_lines(text: str) -> list[int]:
    """Numbers (from 1) of the lines of ``text`` that hold a URL secret in clear.

    A reference (``https://bob:${env:PASSWORD}@host``) is not a secret in clear.
    """
    return [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if has_url_secret(_REFERENCE.sub("", line))
    ]


class RedactingStream:
    """A text stream that masks secrets in what is written, then hands it to ``stream``.

    Text is masked a whole line at a time: a partial line waits for its newline (or a
    flush), so a secret written in pieces (``print(*secret, sep="")`` writes one character
    at a time) is still seen whole.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._pending = ""

    def write(self, text: str) -> int:
        lines, newline, rest = (self._pending + text).rpartition("\n")
        if newline:
            self.stream.write(redact(lines + newline))
        self._pending = rest
        return len(text)  # what the caller wrote, as the TextIO contract says

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._pending:
            self.stream.write(redact(self._pending))
            self._pending = ""
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, flush, encoding, fileno...
        return getattr(self.stream, name)


def mask_standard_streams() -> None:
    """Route stdout and stderr through :class:`RedactingStream` (once per process).

    The CLI does it first thing, and so does each parallel worker: what a node prints or
    logs there goes to the same terminal.
    """
    if sys.stdout is not None and not isinstance(sys.stdout, RedactingStream):
        sys.stdout = RedactingStream(sys.stdout)
    if sys.stderr is not None and not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr)


def _mask_cut_tail(text: str) -> str:
    """``text`` with a trailing start of a registered secret (at least 3 characters: fewer
    tell nothing) masked, for text that was cut off right there."""
    longest = 0
    for secret in _secrets:
        for size in range(min(len(secret) - 1, len(text)), longest, -1):
            if size >= 3 and text.endswith(secret[:size]):
                longest = size
                break
    return text[: len(text) - longest] + MASK if longest else text


def _spellings(secret: str) -> set[str]:
    """``secret`` and the spellings a server or a node may write it in: ``repr(conn)`` or
    ``json.dumps(conn)`` double a backslash or escape a quote or a non-ASCII letter, a URL
    percent-encodes it, a server echoing it collapses its runs of whitespace, an
    ``Authorization`` header carries it in base64 (standard or url-safe, padded or not).
    A derived spelling shorter than :data:`MIN_SECRET_LENGTH` is left out, as the secret
    would be."""
    spellings = {
        secret,
        repr(secret)[1:-1],  # one spelling: repr's quote style depends on the text only
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote(secret),  # the default keeps "/": how a path or a URL quotes it
        urllib.parse.quote_plus(secret),
        " ".join(secret.split()),
        "".join(secret.split()),
        secret.strip(),
        *_base64_spellings(secret),
    }
    return {text for text in spellings if len(text) >= MIN_SECRET_LENGTH}


def _base64_spellings(text: str) -> set[str]:
    data = text.encode("utf-8")
    padded = {base64.b64encode(data).decode("ascii"), base64.urlsafe_b64encode(data).decode()}
    return padded | {form.rstrip("=") for form in padded}


def _secret_parts(value: object) -> set[str]:
    if value is None or isinstance(value, (bool, Mapping, list, tuple)):
        return set()
    text = str(value)
    parts = {text}
    for match in _URL_PASSWORD.finditer(text):
        parts.add(text[match.end(1) + 1 : match.end() - 1])  # the password alone
    for match in _TOKEN_PARAMETER.finditer(text):
        parts.add(match.group(0).split("=", 1)[1])
    return {part for part in parts if len(part) >= MIN_SECRET_LENGTH and part != MASK}
