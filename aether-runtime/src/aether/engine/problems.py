"""`aether validate`'s problems as records a tool can read (`aether validate --json`): each
with the file and line it points at, a severity, a code and the words `validate` prints.

The location is where the message already says it is (``conf/base/catalog.yml:12``, a
YAML error's ``file:line:column``); a problem that names only a node is placed on that
node's ``name:`` line in its pipeline.yml, and one that names only a parameter on
``conf/base/parameters.yml``. The records carry no more than the printed line: every text
is masked as printed output is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aether.errors import AetherError
from aether.support.redaction import redact

# A project file named in a message: conf/<env>/<name>.yml or a .py file, with an optional
# :line and :column.
_LOCATION = re.compile(
    r"(?P<file>(?:conf|src|tests)/[\w./-]+?\.(?:ya?ml|py|json))(?::(?P<line>\d+))?(?::(?P<column>\d+))?"
)
_NODE = re.compile(r"Node '(?P<name>[^']+)'")
_PARAMETER = re.compile(r"parameter '(?P<key>[^']+)'")


@dataclass(frozen=True)
class Problem:
    """One problem `aether validate` found.

    Attributes:
        file: The project file it is in, relative to the project (``conf/base/catalog.yml``),
            or None when it is not in one place.
        line: 1-based line in ``file``, or None.
        column: 1-based column, or None.
        severity: ``error`` (validate exits 2) or ``warning``.
        code: The kind of problem: the error's class without ``Error``, in lower case
            (``catalog``, ``pipeline``, ``config``, ``credentials``...), or a warning's name.
        message: What is wrong and where, as printed after ``error:``.
        hint: What to do, or None.
    """

    file: str | None
    line: int | None
    column: int | None
    severity: str
    code: str
    message: str
    hint: str | None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def problem_from_error(error: AetherError, conf: Path, severity: str = "error") -> Problem:
    """``error`` as a :class:`Problem`, placed where its message says (see the module)."""
    message = redact(error.message)
    file, line, column = _located(message, conf)
    code = type(error).__name__.removesuffix("Error").lower() or "aether"
    hint = redact(error.hint) if error.hint else None
    return Problem(file, line, column, severity, code, message, hint)


def problem_from_warning(message: str, hint: str, code: str, conf: Path) -> Problem:
    """A warning `validate` prints (it does not change the exit code) as a :class:`Problem`."""
    message = redact(message)
    file, line, column = _located(message, conf)
    return Problem(file, line, column, "warning", code, message, redact(hint))


def problems_json(problems: Iterable[Problem]) -> dict[str, Any]:
    """What `aether validate --json` prints."""
    listed = [p.as_json() for p in problems]
    return {
        "problems": listed,
        "valid": not any(p["severity"] == "error" for p in listed),
    }


def _located(message: str, conf: Path) -> tuple[str | None, int | None, int | None]:
    found = _LOCATION.search(message)
    if found:
        line, column = found.group("line"), found.group("column")
        return (
            found.group("file"),
            int(line) if line else None,
            int(column) if column else None,
        )
    node, parameter = _NODE.search(message), _PARAMETER.search(message)
    if parameter:  # where the pipeline reads it, else the file that should define it
        key = re.escape(parameter.group("key"))
        reads = _pipeline_line(re.compile(rf"params:{key}(?![\w.])"), conf)
        return reads if reads[0] else ("conf/base/parameters.yml", None, None)
    if node:
        name = re.escape(node.group("name"))
        return _pipeline_line(re.compile(rf"(?<=name:)\s*['\"]?{name}['\"]?\s*(?:#.*)?$"), conf)
    return None, None, None


def _pipeline_line(
    pattern: re.Pattern[str], conf: Path
) -> tuple[str | None, int | None, int | None]:
    """The first line of a pipeline.yml (base first) that ``pattern`` matches, and the
    column where the match starts (leading spaces skipped)."""
    candidates = sorted(conf.glob("*/pipeline.yml"), key=lambda p: (p.parent.name != "base", p))
    for path in candidates:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, text in enumerate(lines, start=1):
            match = pattern.search(text)
            if match:
                start = match.start() + len(match.group()) - len(match.group().lstrip())
                return f"conf/{path.parent.name}/pipeline.yml", number, start + 1
    return None, None, None
