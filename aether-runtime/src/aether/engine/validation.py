"""Checks before a run: the DAG, the catalog entries, the transformations, the locations.

Each function raises the first problem it finds (what ``aether run`` stops on).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from aether.catalog import DataCatalog
from aether.checks import parse_checks
from aether.durations import parse_duration
from aether.engine.transformation import check_arguments, resolve_callable
from aether.errors import PipelineError
from aether.locations import check_one_writer
from aether.pipeline import Node, Pipeline
from aether.single_file_paths import refuse_directory_paths


def validate_pipeline(
    pipeline: Pipeline, catalog: DataCatalog, *, import_code: bool = True
) -> None:
    """Check everything that can be checked before running: raises the first problem found.

    Cycles, inputs nobody produces, catalog entries (types, arguments, credentials, checks,
    freshness), file datasets whose path is a directory and, when ``import_code``, that
    every transformation imports and accepts the node's inputs.
    """
    pipeline.toposorted()
    for name in sorted(pipeline.free_inputs()):
        if name not in catalog:
            reader = next(n.name for n in pipeline.nodes if name in n.dataset_inputs)
            candidates = sorted(set(catalog.list()) | set(pipeline.producers))
            close = difflib.get_close_matches(name, candidates, n=1)
            raise PipelineError(
                f"Node '{reader}' reads '{name}', which no node produces and the catalog "
                "does not declare",
                hint=f"did you mean '{close[0]}'?"
                if close
                else "add it to conf/base/catalog.yml or produce it with a node",
            )
    catalog.validate()
    if import_code:
        check_transformations(pipeline.nodes)
    # After the transformations: `aether validate` lists check and freshness problems of
    # every entry itself, so raising them first here would only hide a broken import.
    refuse_directory_paths(catalog, pipeline.datasets())
    check_asset_specs(catalog, pipeline.datasets())


def check_asset_specs(catalog: DataCatalog, names: Iterable[str]) -> None:
    """The checks and freshness of the named catalog entries are well formed.

    They are read only once a node has run; checked here, a typo stops the run before it.
    """
    for name in sorted(names):
        entry = catalog.entries.get(name)
        if entry is None:
            continue
        parse_checks(name, list(entry.checks), entry.where)
        for key in ("warn_after", "error_after"):
            parse_duration((entry.freshness or {}).get(key), name, entry.where)


def check_transformations(nodes: Iterable[Node]) -> None:
    """Every transformation imports, takes its options, and accepts the node's inputs."""
    checked: set[tuple[str, str, tuple[str | None, ...]]] = set()
    for item in nodes:
        arguments = tuple(i.arg for i in item.inputs)
        # Thousands of nodes may share one dotted path, options and arguments: check it once.
        key = (str(item.transformation), repr(sorted(item.options.items())), arguments)
        if isinstance(item.transformation, str) and key in checked:
            continue
        func = resolve_callable(item.transformation, dict(item.options), item.name)
        check_arguments(func, item.name, list(arguments))
        checked.add(key)


def check_selection(selected: Pipeline, full: Pipeline, catalog: DataCatalog) -> None:
    """A selected node cannot read an in-memory dataset made by a node left out."""
    for item in selected.nodes:
        for name in item.dataset_inputs:
            producer = full.producers.get(name)
            if producer and producer not in selected and not catalog.is_declared(name):
                raise PipelineError(
                    f"Node '{item.name}' reads '{name}', an in-memory dataset made by node "
                    f"'{producer}', which is not selected",
                    hint=f"select '{producer}' too (e.g. --to-nodes {item.name}) or declare "
                    f"'{name}' in the catalog so it is stored",
                )


def check_locations(catalog: DataCatalog, pipelines: Iterable[Pipeline]) -> None:
    """No catalog entry a node writes (in any of ``pipelines``) shares its physical location
    with another entry; read-only entries may (see aether.locations)."""
    written = {name: n.name for p in pipelines for n in p.nodes for name in n.outputs}
    check_one_writer(catalog.entries.values(), written, catalog.factory.project_path)
