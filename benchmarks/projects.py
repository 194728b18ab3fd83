"""Write fixture Aether projects for benchmarks: conf/base/*.yml plus a package in src/.

Generated projects are plain folders, exactly what a user would write by hand, so the
benchmarks exercise the same code paths as ``aether run`` in a real project.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml


def write_project(
    root: Path,
    package: str,
    modules: dict[str, str],
    nodes: list[dict[str, Any]],
    catalog: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
    pipeline: str = "bench",
) -> Path:
    """Create (or replace) a project at ``root`` with one pipeline named ``pipeline``.

    ``modules`` maps a module name inside ``src/<package>/`` to its source code.
    """
    if root.exists():
        shutil.rmtree(root)
    conf = root / "conf" / "base"
    conf.mkdir(parents=True)
    (root / "conf" / "local").mkdir()
    source = root / "src" / package
    source.mkdir(parents=True)
    (source / "__init__.py").write_text("")
    for name, code in modules.items():
        (source / f"{name}.py").write_text(code)
    _dump(conf / "catalog.yml", catalog or {})
    _dump(conf / "parameters.yml", parameters or {})
    _dump(conf / "pipeline.yml", {"pipelines": {pipeline: {"nodes": nodes}}, "default": pipeline})
    return root


def chain_nodes(count: int, transformation: str, first_input: str, prefix: str = "d") -> list[dict]:
    """``count`` nodes in a line: node i reads ``<prefix>{i-1}`` and writes ``<prefix>{i}``."""
    nodes = []
    for index in range(1, count + 1):
        source = first_input if index == 1 else f"{prefix}{index - 1}"
        nodes.append(
            {
                "name": f"step_{index:05d}",
                "transformation": transformation,
                "inputs": {"x": source},
                "outputs": f"{prefix}{index}",
            }
        )
    return nodes


def _dump(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=100))


JSON_STEP = '''"""One step of a file-backed chain: read a number, write the next."""


def step(x):
    return x + 1
'''


def file_chain_project(root: Path, nodes: int, width: int = 1) -> Path:
    """``nodes`` JSON-file-backed nodes in ``width`` parallel chains (``seed`` feeds each)."""
    catalog: dict[str, Any] = {"seed": {"type": "JsonDataSet", "filepath": "data/seed.json"}}
    entries = []
    per_chain = max(1, nodes // width)
    for chain in range(width):
        previous = "seed"
        for index in range(per_chain):
            name = f"c{chain:03d}_{index:05d}"
            catalog[name] = {"type": "JsonDataSet", "filepath": f"data/{name}.json"}
            entries.append(
                {
                    "name": f"n_{name}",
                    "transformation": "fchain.steps.step",
                    "inputs": {"x": previous},
                    "outputs": name,
                }
            )
            previous = name
    project = write_project(root, "fchain", {"steps": JSON_STEP}, entries, catalog=catalog)
    (project / "data").mkdir(exist_ok=True)
    (project / "data" / "seed.json").write_text("0")
    return project
