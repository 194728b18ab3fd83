"""The runtime's dependency direction: a module imports only from layers below its own.

The layers follow CONTRIBUTING.md. Lazy (function-level) imports count too: they are still
dependencies. Catalog, pipeline and state never import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import aether

PACKAGE = Path(aether.__file__).resolve().parent

LAYERS: dict[str, int] = {
    "errors": 0, "codehash": 0, "redaction": 0, "crash_points": 0, "_version": 0,
    "strict_yaml": 1, "config": 2, "params_overrides": 2, "single_file_paths": 3,
    "datasets": 1, "state": 1, "lock": 1, "pipeline": 1, "transformation": 1,
    "scaffold": 1, "fingerprint": 1, "locations": 1,
    "catalog": 2, "checks": 2, "lineage": 2, "alerts": 2, "project_dag": 2,
    "execution": 3, "project": 3, "assets": 3,
    "runners": 4, "viz": 4, "publication": 4,
    "orchestrator": 5,
    "planner": 6, "tracking": 6, "status": 6,
    "run": 7, "reconcile": 7,
    "cli": 8, "__main__": 9,
}  # fmt: skip
INDEPENDENT = {"catalog", "pipeline", "state"}


def top_name(module: str) -> str:
    return module.split(".")[1] if module.count(".") else "__init__"


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {name for name in names if name.startswith("aether.")}


def owner(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def test_every_module_has_a_layer() -> None:
    modules = {owner(p) for p in PACKAGE.rglob("*.py")} - {"__init__"}
    assert modules <= set(LAYERS), f"add to LAYERS: {sorted(modules - set(LAYERS))}"


def test_imports_point_down_the_layers_only() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        mine = owner(path)
        if mine == "__init__":
            continue
        for imported in imports_of(path):
            target = top_name(imported)
            if target == mine or target == "__init__":
                continue
            if LAYERS[target] >= LAYERS[mine] and not (mine == "cli" and target == "cli"):
                wrong.append(f"{path.relative_to(PACKAGE)} imports {imported}")
            if mine in INDEPENDENT and target in INDEPENDENT:
                wrong.append(f"{path.relative_to(PACKAGE)} imports {imported} (independent)")
    assert not wrong, "\n".join(wrong)
