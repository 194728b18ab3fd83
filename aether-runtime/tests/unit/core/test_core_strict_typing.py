"""Every module of the runtime is held to ``mypy --strict``'s flags (the root pyproject.toml's
strict override). A new module is strict from its first commit: this fails until it is on
the list."""

from __future__ import annotations

import sys
from pathlib import Path

import aether

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[4]
RUNTIME = Path(aether.__file__).parent

# Not strict yet: none (issue 17 brought the whole runtime there); keep it empty.
NOT_YET: tuple[str, ...] = ()


def _matches(module: str, patterns: list[str] | tuple[str, ...]) -> bool:
    """mypy's rule: ``a.b`` names that module, ``a.b.*`` it and every module under it."""
    return any(
        module == pattern or (pattern.endswith(".*") and (module + ".").startswith(pattern[:-1]))
        for pattern in patterns
    )


def _strict_patterns() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [
        pattern
        for override in config["tool"]["mypy"]["overrides"]
        if override.get("disallow_untyped_defs")
        for pattern in override["module"]
    ]


def _runtime_modules() -> list[str]:
    modules = []
    for path in sorted(RUNTIME.rglob("*.py")):
        parts = path.relative_to(RUNTIME.parent).with_suffix("").parts
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def test_every_module_is_strict_or_named_as_not_yet() -> None:
    strict = _strict_patterns()

    loose = [m for m in _runtime_modules() if not (_matches(m, strict) or _matches(m, NOT_YET))]

    assert loose == [], "add them to the strict override in the root pyproject.toml"


def test_no_module_is_both_strict_and_not_yet() -> None:
    strict = _strict_patterns()

    both = [m for m in _runtime_modules() if _matches(m, strict) and _matches(m, NOT_YET)]

    assert both == [], "a module made strict leaves NOT_YET"


def test_module_patterns_match_as_mypy_reads_them() -> None:
    assert _matches("aether.engine", ["aether.engine.*"])
    assert _matches("aether.engine.events.types", ["aether.engine.*"])
    assert not _matches("aether.engineering", ["aether.engine.*"])
    assert not _matches("aether.cli.app", ["aether.cli"])
