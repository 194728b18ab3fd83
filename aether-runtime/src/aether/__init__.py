"""Aether: asset-centric data pipelines that know what is stale and why.

The public API is what ``__all__`` lists; everything else is internal and may change.
Names are imported on first use, so ``import aether`` stays fast and pulls in no pandas.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

try:  # written by the build from the git tag (hatch-vcs); absent in a bare source tree
    from aether._version import __version__
except ImportError:  # pragma: no cover - only when running from an uninstalled checkout
    __version__ = "0.0.0+unknown"

_EXPORTS = {
    "APIDataSet": "aether.datasets.api",
    "AbstractDataSet": "aether.datasets.base",
    "AbstractTransformation": "aether.engine.transformation",
    "AetherContext": "aether.project.context",
    "AetherError": "aether.errors",
    "AssetsEvaluated": "aether.engine.events",
    "CatalogError": "aether.errors",
    "CheckEvaluated": "aether.engine.events",
    "CheckFailedError": "aether.errors",
    "ConfigError": "aether.errors",
    "CredentialsError": "aether.errors",
    "CycleError": "aether.errors",
    "DataCatalog": "aether.catalog",
    "DataSetError": "aether.errors",
    "DataSetFactory": "aether.catalog",
    "DeltaTableDataSet": "aether.datasets.delta",
    "LockError": "aether.errors",
    "Node": "aether.pipeline",
    "NodeAborted": "aether.engine.events",
    "NodeFailed": "aether.engine.events",
    "NodeFailedError": "aether.errors",
    "NodeFinished": "aether.engine.events",
    "NodeLeftAlone": "aether.engine.events",
    "NodeResult": "aether.engine.plan",
    "NodeSkipped": "aether.engine.events",
    "NodeStarted": "aether.engine.events",
    "NodeStatus": "aether.engine.plan",
    "NodeSucceeded": "aether.engine.events",
    "OutputsPublished": "aether.engine.events",
    "OutputsStaged": "aether.engine.events",
    "Pipeline": "aether.pipeline",
    "PipelineError": "aether.errors",
    "Plan": "aether.engine.plan",
    "PlannedNode": "aether.engine.plan",
    "RunEvent": "aether.engine.events",
    "RunFinished": "aether.engine.events",
    "RunInterrupted": "aether.errors",
    "RunListener": "aether.engine.events",
    "RunOptions": "aether.run",
    "RunRequest": "aether.run",
    "RunResult": "aether.engine.plan",
    "RunStarted": "aether.engine.events",
    "SQLQueryDataSet": "aether.datasets.sql_query",
    "SQLTableDataSet": "aether.datasets.sql_table",
    "Selection": "aether.run",
    "StateError": "aether.errors",
    "dry_run": "aether.run",
    "load_context": "aether.project",
    "node": "aether.pipeline",
    "run_pipeline": "aether.run",
}

__all__ = [
    "APIDataSet",
    "AbstractDataSet",
    "AbstractTransformation",
    "AetherContext",
    "AetherError",
    "AssetsEvaluated",
    "CatalogError",
    "CheckEvaluated",
    "CheckFailedError",
    "ConfigError",
    "CredentialsError",
    "CycleError",
    "DataCatalog",
    "DataSetError",
    "DataSetFactory",
    "DeltaTableDataSet",
    "LockError",
    "Node",
    "NodeAborted",
    "NodeFailed",
    "NodeFailedError",
    "NodeFinished",
    "NodeLeftAlone",
    "NodeResult",
    "NodeSkipped",
    "NodeStarted",
    "NodeStatus",
    "NodeSucceeded",
    "OutputsPublished",
    "OutputsStaged",
    "Pipeline",
    "PipelineError",
    "Plan",
    "PlannedNode",
    "RunEvent",
    "RunFinished",
    "RunInterrupted",
    "RunListener",
    "RunOptions",
    "RunRequest",
    "RunResult",
    "RunStarted",
    "SQLQueryDataSet",
    "SQLTableDataSet",
    "Selection",
    "StateError",
    "__version__",
    "dry_run",
    "load_context",
    "node",
    "run_pipeline",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'aether' has no attribute '{name}'")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from aether.catalog import DataCatalog, DataSetFactory
    from aether.datasets.api import APIDataSet
    from aether.datasets.base import AbstractDataSet
    from aether.datasets.delta import DeltaTableDataSet
    from aether.datasets.sql_query import SQLQueryDataSet
    from aether.datasets.sql_table import SQLTableDataSet
    from aether.engine.events import (
        AssetsEvaluated,
        CheckEvaluated,
        NodeAborted,
        NodeFailed,
        NodeFinished,
        NodeLeftAlone,
        NodeSkipped,
        NodeStarted,
        NodeSucceeded,
        OutputsPublished,
        OutputsStaged,
        RunEvent,
        RunFinished,
        RunListener,
        RunStarted,
    )
    from aether.engine.plan import NodeResult, NodeStatus, Plan, PlannedNode, RunResult
    from aether.engine.transformation import AbstractTransformation
    from aether.errors import (
        AetherError,
        CatalogError,
        CheckFailedError,
        ConfigError,
        CredentialsError,
        CycleError,
        DataSetError,
        LockError,
        NodeFailedError,
        PipelineError,
        RunInterrupted,
        StateError,
    )
    from aether.pipeline import Node, Pipeline, node
    from aether.project import load_context
    from aether.project.context import AetherContext
    from aether.run import RunOptions, RunRequest, Selection, dry_run, run_pipeline
