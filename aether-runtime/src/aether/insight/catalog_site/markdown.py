"""A small Markdown writer: text escaped so that a hostile name (``*``, ``|``, ``<script>``, a
newline, ``]``) stays text on the page, safe file names, Mermaid labels."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

from aether.support.redaction import redact

# The characters Python-Markdown reads as markup and lets a backslash escape (``|`` with the
# tables extension); any other backslash would show. HTML's ``<``, ``>``, ``&`` become entities.
_MARKUP = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>&])")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_-]")


def text(value: object) -> str:
    """``value`` as inline text: secrets masked (before escaping hides them from the
    masking), markup escaped, line breaks folded into spaces."""
    flat = " ".join(redact(str(value)).split())
    escaped = _MARKUP.sub(r"\\\1", flat)
    # A backslash does not stop HTML: entities do.
    return escaped.replace("\\<", "&lt;").replace("\\>", "&gt;").replace("\\&", "&amp;")


def code(value: object) -> str:
    """``value`` as inline code, whatever backticks it holds; secrets masked."""
    flat = " ".join(redact(str(value)).split())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", flat)), default=0) + 1)
    return f"{fence} {flat} {fence}"


def file_stem(name: str) -> str:
    """A file name for ``name`` that stays inside its folder (no separator, no dot file) and
    differs for names that differ (a digest is added when characters were replaced)."""
    stem = _SAFE_NAME.sub("_", name)[:80]
    if stem != name or not stem:
        stem = f"{stem}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return stem


def anchor(name: str) -> str:
    """An HTML id for ``name`` (the glossary's terms)."""
    return "term-" + file_stem(name).lower()


def mermaid_id(index: int) -> str:
    """Mermaid node ids are numbered: a name is only ever a quoted label."""
    return f"n{index}"


def mermaid_label(name: str) -> str:
    """``name`` as a quoted Mermaid label: quotes and markup as entity codes."""
    flat = " ".join(name.split())
    out = []
    for char in flat:
        if char.isalnum() or char in " _-./":
            out.append(char)
        else:
            out.append(f"#{ord(char)};")
    return '"' + "".join(out) + '"'


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A Markdown table; cells are written already escaped (``text``/``code``/links)."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]
