"""The package surface: a sorted public API, every name importable, and a light import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import aether

HEAVY_MODULES = ("pandas", "pyarrow", "numpy", "fsspec", "typer", "click", "rich", "yaml")


def test_all_is_sorted_and_unique() -> None:
    assert aether.__all__ == sorted(set(aether.__all__))


@pytest.mark.parametrize("name", aether.__all__)
def test_every_public_name_is_importable(name: str) -> None:
    assert getattr(aether, name) is not None


def test_spec_public_names_are_exported() -> None:
    spec_names = {
        "AbstractDataSet", "AbstractTransformation", "DataCatalog", "DataSetFactory",
        "Pipeline", "Node", "node", "run_pipeline", "AetherContext", "AetherError",
        "ConfigError", "CatalogError", "PipelineError", "CycleError", "DataSetError",
        "NodeFailedError", "StateError",
    }  # fmt: skip

    assert spec_names <= set(aether.__all__)


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = aether.Nope  # type: ignore[attr-defined]


def _modules_after(code: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    return {name.split(".")[0] for name in json.loads(out)}


def test_import_aether_pulls_in_nothing_heavy() -> None:
    loaded = _modules_after("import aether")

    assert loaded.isdisjoint(HEAVY_MODULES), sorted(loaded & set(HEAVY_MODULES))


def test_core_classes_load_without_pandas_or_pyarrow() -> None:
    loaded = _modules_after(
        "from aether import DataCatalog, Pipeline, node, AbstractTransformation, AbstractDataSet"
    )

    assert loaded.isdisjoint({"pandas", "pyarrow", "fsspec"})
