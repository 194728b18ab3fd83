"""The runtime's dependency direction holds: import-linter's contracts, kept in the root
pyproject.toml (``[tool.importlinter]``), are the one statement of the rule; ``make lint``
runs them too. Lazy (function-level) and type-checking imports count: they are still
dependencies."""

from __future__ import annotations

from pathlib import Path

from importlinter import configuration
from importlinter.application import use_cases

ROOT = Path(__file__).resolve().parents[4]


def test_imports_keep_the_layer_contracts(capsys) -> None:
    # The use case, not importlinter.cli.lint_imports: that one reconfigures logging for the
    # whole process (disabling the loggers other tests capture).
    configuration.configure()

    kept = use_cases.lint_imports(
        config_filename=str(ROOT / "pyproject.toml"), cache_dir=None, no_logo=True
    )

    assert kept, capsys.readouterr().out
