"""The state, fingerprint, checks and lock modules stay light and keep to their layer."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import aether

PACKAGE = Path(aether.__file__).parent
MODULES = [
    PACKAGE / "assets" / "fingerprint.py",
    PACKAGE / "assets" / "codehash.py",
    PACKAGE / "checks.py",
    *sorted((PACKAGE / "state").glob("*.py")),
]


def test_importing_them_does_not_import_pandas() -> None:
    code = (
        "import sys, aether.state, aether.assets.fingerprint, aether.checks, aether.state.lock; "
        "print(sorted(m for m in ('pandas', 'numpy', 'pyarrow') if m in sys.modules))"
    )

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[]"


def test_they_import_only_errors_state_and_the_stdlib() -> None:
    allowed = {"aether.errors", "aether.state", "aether.state.base", "aether.state.memory"}
    allowed |= {"aether.state.sqlite", "aether.state.schema", "aether.state.journal"}
    allowed |= {"aether.assets.codehash", "aether.durations", "aether.verdicts"}
    for module in MODULES:
        tree = ast.parse(module.read_text())
        top_level = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        for node in top_level:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            for name in names:
                assert name is not None
                if name.startswith("aether"):
                    assert name in allowed, f"{module.name} imports {name}"
                else:
                    assert name.split(".")[0] in sys.stdlib_module_names, f"{module.name}: {name}"
