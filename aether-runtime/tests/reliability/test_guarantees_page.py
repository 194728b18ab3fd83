"""docs/guarantees.md names every catalogue case, and only cases that exist.

The page is how users learn what Aether promises; a case missing from it is a promise nobody
reads, and a name on it with no test behind it is a promise nobody keeps.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
PAGE = HERE.parents[2] / "docs" / "guarantees.md"
NOT_CASES = {"test_harness.py", Path(__file__).name}


def catalogue_cases() -> set[str]:
    names = set()
    for path in sorted(HERE.glob("test_*.py")):
        if path.name in NOT_CASES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names |= {
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
        }
    return names


def named_on_page() -> set[str]:
    text = PAGE.read_text(encoding="utf-8")
    return set(re.findall(r"(?<![\w.])(test_\w+)(?!\.py)\b", text)) - {
        name.removesuffix(".py") for name in re.findall(r"test_\w+\.py", text)
    }


def test_every_catalogue_case_is_on_the_guarantees_page():
    missing = sorted(catalogue_cases() - named_on_page())
    assert not missing, f"add to docs/guarantees.md: {missing}"


def test_the_guarantees_page_names_only_existing_cases():
    unknown = sorted(named_on_page() - catalogue_cases())
    assert not unknown, f"no such catalogue case: {unknown}"


def test_the_catalogue_holds_at_least_forty_cases():
    assert len(catalogue_cases()) >= 40
