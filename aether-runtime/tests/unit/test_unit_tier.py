"""The unit tier starts no process: tests that need one (a lock held by another process, a
fresh interpreter) live in tests/integration/, so ``tests/unit`` stays fast and hermetic."""

from __future__ import annotations

import ast
from pathlib import Path

UNIT = Path(__file__).resolve().parent
PROCESS_MODULES = ("subprocess", "multiprocessing")


def process_imports(source: str) -> list[tuple[int, str]]:
    """``(line, module)`` of every import of a process-starting module, at any depth."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(node.lineno, n) for n in names if n.split(".")[0] in PROCESS_MODULES]
    return sorted(found)


def test_the_check_sees_imports_at_any_depth() -> None:
    source = "import os\ndef f():\n    import subprocess\nfrom multiprocessing import pool\n"

    assert process_imports(source) == [(3, "subprocess"), (4, "multiprocessing")]


def test_no_unit_test_imports_subprocess_or_multiprocessing() -> None:
    offenders = [
        f"{path.relative_to(UNIT.parent).as_posix()}:{line} imports {module}"
        for path in sorted(UNIT.rglob("*.py"))
        for line, module in process_imports(path.read_text(encoding="utf-8"))
    ]

    assert not offenders, (
        "unit tests start no process; move these tests to tests/integration/ "
        "(e.g. tests/integration/state/ for a lock held by another process):\n"
        + "\n".join(offenders)
    )
