"""``--params``: parsing overrides and applying them to the merged parameters.

``--params "cleaning.min_amount=10,report.currency=EUR"`` overrides keys of
``parameters.yml`` by dotted path, each value typed as YAML (``10`` is an int, ``true`` a
bool). An override replaces a value; it never invents a key, so a typo is an error with a
suggestion rather than a parameter nobody reads.
"""

from __future__ import annotations

import copy
import datetime
import re
from collections.abc import Iterator, Mapping
from typing import Any

from aether.errors import ConfigError
from aether.support.dotted_keys import get_dotted, is_missing
from aether.support.redaction import redact
from aether.support.suggestions import did_you_mean

# A command line holds at most 128 KiB per argument on Linux; parameters that large belong
# in a parameters.yml, and a limit keeps the parser's time and memory bounded.
MAX_PARAMS_LENGTH = 65_536
_KEY = re.compile(r"[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*")
_SHOWN_LENGTH = 60
# The characters after which a value starts (and so a quote opens a string).
_VALUE_STARTS = frozenset({"", "=", "[", "{", "(", ",", ":"})


def parse_params_overrides(text: str) -> dict[str, Any]:
    """Parse ``--params "a.b=10,c=EUR"`` into ``{"a.b": 10, "c": "EUR"}``; values are YAML-typed.

    Commas inside brackets, braces or quotes do not split: ``tags=[a,b]`` is one override.
    Raises ConfigError, never anything else, whatever the text.
    """
    if len(text) > MAX_PARAMS_LENGTH:
        raise ConfigError(
            f"--params is {len(text):,} characters long, more than the {MAX_PARAMS_LENGTH:,} "
            "allowed",
            hint="put large values in conf/<env>/parameters.yml and select it with --env",
        )
    _refuse_undecodable(text)
    overrides: dict[str, Any] = {}
    for item in _split_top_level(text):
        if not item.strip():
            continue
        key, value = _parse_item(item)
        if key in overrides:
            raise ConfigError(
                f"--params sets '{key}' twice",
                hint="give each key once: the second value would silently win",
            )
        overrides[key] = value
    return overrides


def _refuse_undecodable(text: str) -> None:
    """Bytes the locale could not decode reach Python as lone surrogates (``\\udcff``),
    which no YAML parser accepts: say so here, in the terms of the command line."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(text[exc.start])
        what = f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"U+{code:04X}"
        raise ConfigError(
            f"--params is not UTF-8 text: {what} at character {exc.start + 1}",
            hint="pass the value as UTF-8 (check the terminal's locale), or put it in "
            "conf/<env>/parameters.yml",
        ) from None


def _parse_item(item: str) -> tuple[str, Any]:
    from aether.configuration.strict_yaml import parse_strict_yaml

    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or not _KEY.fullmatch(key):
        raise ConfigError(
            f"Malformed --params item {_shown(item)}: expected name=value",
            hint='write --params "cleaning.min_amount=10,report.currency=EUR"',
        )
    if not raw.strip():
        return key, ""
    try:
        return key, parse_strict_yaml(raw, f"--params {key}")
    except ConfigError as error:
        raise ConfigError(
            f"Malformed value in --params item {_shown(item)}: {error.message}",
            hint="quote the value, e.g. --params \"name='a: b'\"",
        ) from None


def _shown(item: str) -> str:
    """The item as written, cut short: the one-line error must stay one readable line."""
    text = redact(item.strip())  # before the cut, which would hide a secret from masking
    if len(text) > _SHOWN_LENGTH:
        return repr(text[:_SHOWN_LENGTH]) + f"... ({len(text):,} characters)"
    return repr(text)


def _split_top_level(text: str) -> list[str]:
    """Split on the commas outside brackets, braces and quoted strings.

    As in YAML, a quote opens a string only where a value starts (``name='a,b'``), so an
    apostrophe inside a plain value (``note=it's``) does not swallow the items after it;
    ``''`` inside single quotes and ``\\"`` inside double quotes are escapes. Only the ``=``
    after the key starts a value: ``a==",b=1`` sets ``a`` to ``="``.
    """
    items: list[str] = []
    start, depth, index, quote, last, keyed = 0, 0, 0, "", "", False
    while index < len(text):
        char = text[index]
        if quote:
            doubled = quote == "'" and text.startswith("''", index)
            if doubled or (quote == '"' and char == "\\"):
                index += 1  # an escape: skip the character it protects
            elif char == quote:
                quote = ""
        elif char in "'\"" and last in _VALUE_STARTS:
            quote = char
        elif char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(text[start:index])
            start, last, index, keyed = index + 1, "", index + 1, False
            continue
        if not quote and not char.isspace():
            # A later `=` is text of the value: a quote after it opens nothing.
            last = "text" if char == "=" and keyed else char
            keyed = keyed or char == "="
        index += 1
    items.append(text[start:])
    return items


def apply_overrides(params: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``params`` with dotted-key overrides set; every key must already exist.

    Raises ConfigError naming the first unknown key, with the nearest known one.
    """
    check_overrides(params, overrides)
    for dotted, value in overrides.items():
        _check_plain(dotted, value)
    result = copy.deepcopy(dict(params))
    for dotted, value in overrides.items():
        current = result
        *parents, last = dotted.split(".")
        for part in parents:
            current = current[part]
        current[last] = value
    return result


def check_overrides(params: Mapping[str, Any], overrides: Mapping[str, Any]) -> None:
    """Every overridden key is a key of ``params``: ``--params`` overrides, it does not invent."""
    for dotted in overrides:
        if is_missing(get_dotted(params, dotted)):
            known = sorted(dotted_keys(params))
            close = did_you_mean(dotted, known)
            raise ConfigError(
                f"--params sets '{dotted}', which parameters.yml does not define",
                hint=f"{close} A new key goes in conf/base/parameters.yml first (--params "
                "only overrides)"
                if close
                else "add the key to conf/base/parameters.yml first (--params only overrides)",
            )


def dotted_keys(params: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Every key of ``params`` as a dotted path, nested ones included (``a``, ``a.b``)."""
    for key, value in params.items():
        path = f"{prefix}{key}"
        yield path
        if isinstance(value, Mapping):
            yield from dotted_keys(value, f"{path}.")


# What parameters.yml can hold: a value of another kind (a DataFrame, an object) has no
# faithful text form, so two different ones could record the same fingerprint.
_PLAIN_SCALARS = (str, int, float, bool, datetime.date, type(None))


def _check_plain(dotted: str, value: object, depth: int = 0) -> None:
    if isinstance(value, _PLAIN_SCALARS):
        return
    if depth < 64 and isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _check_plain(dotted, item, depth + 1)
        return
    if depth < 64 and isinstance(value, dict) and all(isinstance(k, str) for k in value):
        for item in value.values():
            _check_plain(dotted, item, depth + 1)
        return
    raise ConfigError(
        f"params sets '{dotted}' to a {type(value).__name__}: a parameter is a plain value "
        "(text, a number, a boolean, a date, or lists, sets and mappings of them), as in "
        "parameters.yml",
        hint="pass data through the catalog (a dataset a node reads), or give the value "
        "as parameters.yml would hold it",
    )
