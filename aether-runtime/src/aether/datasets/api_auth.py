"""Authentication headers for the API dataset, from a credentials.yml entry.

Three shapes are accepted (one per entry): `{token}` for a bearer token, `{username,
password}` for basic authentication, `{header, value}` for an API key in a header of its
own. Every secret value, and the header text made from it (basic authentication's base64
form), is registered for masking before it can appear anywhere.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aether.support.redaction import has_named_secret, register, register_pair

_SHAPES = "{token: ...}, {username: ..., password: ...} or {header: NAME, value: ...}"
# Header names whose values are credentials even when their name does not say "token".
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


@dataclass(frozen=True)
class Auth:
    """Headers that authenticate requests, and how to describe them without the secret.

    Attributes:
        headers: Header names and values to send.
        kind: What the credentials are, for display (`bearer token`, `basic (user bob)`).
    """

    headers: Mapping[str, str] = field(default_factory=dict)
    kind: str = "none"


def auth_from_credentials(credentials: Mapping[str, Any] | None) -> Auth:
    """The headers `credentials` (a credentials.yml entry) stand for.

    Args:
        credentials: `{token}`, `{username, password}`, `{header, value}`, or None.

    Raises:
        ValueError: Another shape (the message lists the keys, never the values).
    """
    if not credentials:
        return Auth()
    keys = set(credentials)
    if keys == {"token"}:
        token = _header_text(credentials["token"], "token")
        register(token)
        return Auth({"Authorization": f"Bearer {token}"}, "bearer token")
    if keys == {"username", "password"}:
        user = _text(credentials["username"], "username")
        password = _text(credentials["password"], "password")
        register(password)
        register_pair(user, password)  # the header's base64, and its url-safe/unpadded forms
        encoded = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        register(encoded)
        return Auth({"Authorization": f"Basic {encoded}"}, f"basic (user {user})")
    if keys == {"header", "value"}:
        name = _header_text(credentials["header"], "header")
        value = _header_text(credentials["value"], "value")
        register(value)
        return Auth({name: value}, f"header {name}")
    raise ValueError(f"credentials must be {_SHAPES}; got the keys {sorted(map(str, keys))}")


def register_secret_headers(headers: Mapping[str, str]) -> frozenset[str]:
    """Mask the values of headers written in the catalog that carry credentials.

    Returns:
        The names of those headers (never sent to another origin).
    """
    secret = {
        name
        for name, value in headers.items()
        if name.lower() in _CREDENTIAL_HEADERS or has_named_secret({name: value})
    }
    for name in secret:
        register(headers[name])
    for name, value in headers.items():
        if _has_control_character(name + value):  # http.client would refuse it mid-request
            raise ValueError(
                f"header '{name}' holds a control character (a line break?), which cannot go "
                "in an HTTP header: remove it (the value is not shown)"
            )
    return frozenset(secret)


def register_secret_params(params: Mapping[str, Any]) -> None:
    """Mask the values of query parameters whose names say they are secrets (`api_key`)."""
    for name, value in params.items():
        if has_named_secret({str(name): value}):
            register(value)


def _text(value: object, key: str) -> str:
    if value is None or isinstance(value, (Mapping, list, tuple)) or str(value) == "":
        raise ValueError(f"credentials '{key}' must be a non-empty text")
    return str(value)


def _header_text(value: object, key: str) -> str:
    """``value`` as it will be sent in a header verbatim (a token, a header's value)."""
    text = _text(value, key)
    if _has_control_character(text):
        # A line break would end the header (http.client refuses it mid-request, a traceback);
        # a secret file's one trailing newline is already dropped. Basic credentials are
        # base64-encoded, so they may hold any character.
        raise ValueError(
            f"credentials '{key}' holds a control character (a line break?), which cannot go "
            "in an HTTP header: remove it from the secret (the value is not shown)"
        )
    return text


def _has_control_character(text: str) -> bool:
    return any((ord(char) < 32 and char != "\t") or ord(char) == 127 for char in text)
