"""``${secret:<provider>:<name>}`` in credentials.yml: finding references and resolving them.

A reference is a whole value (``password: ${secret:env:DB_PASSWORD}``) or a part of one
(``con: postgresql://app:${secret:aws:db#password}@db:5432/shop``). Every value a provider
returns is registered with :mod:`aether.support.redaction` before it is put in place, so nothing
that prints or logs afterwards can show it. A secret put in a URL's user info or query value is
percent-encoded there (secret managers hold the raw password, and URL parsers decode it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aether.errors import CredentialsError
from aether.support.redaction import register

MARK = "${secret:"
# The name runs to the closing brace: AWS names and ARNs hold ':' '/' '#', file paths '/'.
_REFERENCE = re.compile(r"\$\{secret:([A-Za-z][A-Za-z0-9_\-]*):([^}\n]+)\}")
_FORM = "${secret:<provider>:<name>}"
# Where a secret sits inside a URL and must be percent-encoded to stay one piece of it: in
# the user info (`scheme://user:<here>@host`) or a query value (`?password=<here>`). Matched
# on the text around the reference, other references in it replaced by a plain letter.
_BEFORE_USERINFO = re.compile(r"[A-Za-z][\w+.\-]*://[^/?#\s@]*\Z")
_AFTER_USERINFO = re.compile(r"[^/?#\s]*@")
_BEFORE_QUERY_VALUE = re.compile(r"[A-Za-z][\w+.\-]*://[^\s#]*\?(?:[^\s#]*&)?[^\s#&=]+=\Z")


@dataclass(frozen=True)
class SecretReference:
    """One ``${secret:provider:name}`` as written.

    Attributes:
        provider: Who holds the secret (``env``, ``file``, ``aws``, ``databricks``, a plugin).
        name: What the provider calls it (a variable, a path, a secret id, ``SCOPE/KEY``).
    """

    provider: str
    name: str

    def __str__(self) -> str:
        return f"${{secret:{self.provider}:{self.name}}}"


def has_reference(value: Any) -> bool:
    """Whether ``value`` (parsed YAML, at any depth) mentions ``${secret:``."""
    if isinstance(value, str):
        return MARK in value
    if isinstance(value, Mapping):
        return any(has_reference(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_reference(item) for item in value)
    return False


def find_references(text: str, where: str) -> list[SecretReference]:
    """The references in one string, in order.

    Raises:
        CredentialsError: A ``${secret:`` that is not a whole reference (no provider, no
            name, no closing brace).
    """
    found = []
    start = text.find(MARK)
    while start != -1:
        match = _REFERENCE.match(text, start)
        if match is None:
            raise CredentialsError(
                f"Malformed secret reference {_shown(text, start)!r} in {where}",
                hint=f"write it as {_FORM}, e.g. ${{secret:env:DB_PASSWORD}}",
            )
        found.append(SecretReference(match.group(1), match.group(2)))
        start = text.find(MARK, match.end())
    return found


def all_references(value: Any, where: str) -> list[SecretReference]:
    """Every reference in ``value`` (parsed YAML, at any depth), checked for form."""
    if isinstance(value, str):
        return find_references(value, where) if MARK in value else []
    if isinstance(value, Mapping):
        value = list(value.values())
    if not isinstance(value, (list, tuple)):
        return []
    return [reference for item in value for reference in all_references(item, where)]


def resolve_references(value: Any, read: Callable[[SecretReference], str], where: str) -> Any:
    """A copy of ``value`` with each reference replaced by what ``read`` returns for it.

    A string that is one whole reference becomes the secret; references inside a longer
    string are substituted in place. Each secret is registered for masking as soon as it is
    read, before anything can print it.
    """

    def substitute(text: str) -> str:
        if MARK not in text:
            return text
        find_references(text, where)  # refuses a malformed one before anything is read
        return _REFERENCE.sub(lambda match: _read_and_register(match, read), text)

    return _map_strings(value, substitute)


def without_references(value: Any) -> Any:
    """``value`` with every string that holds a reference dropped (set to None): what is
    left are the literal values, safe to register for masking before any secret is read
    (a reference itself is a name, not a secret, and masking it would garble messages)."""
    return _map_strings(value, lambda text: None if MARK in text else text)


def _read_and_register(match: re.Match[str], read: Callable[[SecretReference], str]) -> str:
    secret = read(SecretReference(match.group(1), match.group(2)))
    register(secret)
    if not _inside_url(match.string, match.start(), match.end()):
        return secret
    # A password holding '@', '/', ':', '%' or '#' would otherwise split the URL elsewhere
    # (a piece of it then shown as a host) or be decoded into another password.
    encoded = quote(secret, safe="")
    register(encoded)
    return encoded


def _inside_url(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] (a reference) is in a URL's user info or a query value."""
    before = _REFERENCE.sub("x", text[:start])
    after = _REFERENCE.sub("x", text[end:])
    in_userinfo = bool(_BEFORE_USERINFO.search(before)) and bool(_AFTER_USERINFO.match(after))
    return in_userinfo or bool(_BEFORE_QUERY_VALUE.search(before))


def _map_strings(value: Any, func: Callable[[str], Any]) -> Any:
    if isinstance(value, str):
        return func(value)
    if isinstance(value, Mapping):
        return {key: _map_strings(item, func) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_map_strings(item, func) for item in value]
    return value


def _shown(text: str, start: int) -> str:
    """The malformed reference as written, up to its brace or 60 characters."""
    end = text.find("}", start)
    return text[start : end + 1] if 0 <= end - start < 60 else text[start : start + 60]
