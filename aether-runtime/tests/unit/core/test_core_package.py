"""The package surface: a sorted public API, every name importable (light imports:
integration/test_light_imports.py)."""

from __future__ import annotations

import pytest

import aether


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
