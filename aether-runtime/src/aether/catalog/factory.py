"""Building datasets from catalog entries: resolving a `type:` (a registered short name, a
name another package declares under the `aether.datasets` entry-point group, or a dotted
path) and checking the entry's arguments against the class before building it."""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aether.catalog.entries import CatalogEntry
from aether.datasets import BUILTIN_DATASETS
from aether.datasets.base import AbstractDataSet
from aether.errors import CatalogError
from aether.support.redaction import redact
from aether.support.suggestions import did_you_mean

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

ENTRY_POINT_GROUP = "aether.datasets"
_LOCAL_PATH_KEYS = ("filepath", "path")
# A file database's URL with a relative path (`sqlite:///data/shop.db`; four slashes make it
# absolute): relative to the project root, like every other path, not to the current folder.
_RELATIVE_FILE_DATABASE = re.compile(r"(?:sqlite|duckdb)(?:\+\w+)?:///(?![/:])(?=.)")
# Given by the factory, never written in catalog.yml (see DataSetFactory).
_RUN_PARAMETERS = "run_parameters"


class DataSetFactory:
    """Builds datasets from catalog entries. Register extra types with `register()`.

    A `type:` is found, in this order, among the registered names (the built-in datasets and
    what `register()` added), then the names other packages declare under the entry-point
    group `aether.datasets`; a `type:` with a dot is imported as a dotted path.

    A dataset class whose constructor takes `run_parameters` (the SQL datasets, which bind
    `${params:...}` in their SQL) receives the run's parameters there.

    Args:
        project_path: The project root: relative `filepath:`/`path:` arguments are made
            absolute against it. None keeps them as written.
        parameters: The run's parameters (parameters.yml with `--params` applied).

    Attributes:
        project_path: The project root given to the constructor.
        parameters: The run's parameters given to the constructor.
    """

    def __init__(
        self, project_path: Path | None = None, parameters: Mapping[str, Any] | None = None
    ) -> None:
        self.project_path = project_path
        self.parameters = dict(parameters or {})
        self._types: dict[str, type[AbstractDataSet] | str] = dict(BUILTIN_DATASETS)
        # Kept apart from the types: an entry point is told from a class by where it is,
        # never by its attributes (a dataset class may well have a `load` and a `group`).
        self._plugins: dict[str, EntryPoint] = {}
        self._resolved: dict[str, type[AbstractDataSet]] = {}
        self._plugins_loaded = False

    def register(self, name: str, cls: type[AbstractDataSet] | str) -> None:
        """Make `name` usable as `type:` in catalog.yml.

        Args:
            name: The short name entries will use, e.g. `"TextDataSet"`; replaces a
                registered type of the same name.
            cls: An `AbstractDataSet` subclass, or its dotted path (imported on first use).

        Example:
            ```python
            factory = DataSetFactory()
            factory.register("TextDataSet", "my_project.datasets.TextDataSet")
            ```
        """
        self._types[name] = cls
        self._resolved.pop(name, None)

    def registered_types(self) -> dict[str, type[AbstractDataSet] | str]:
        """The types known by name without loading entry points: built in and registered
        (a worker process's factory registers the same ones)."""
        return dict(self._types)

    def known_types(self) -> list[str]:
        """Every short name a `type:` may use (built in, registered, from entry points)."""
        self._load_plugins()
        return sorted(set(self._types) | set(self._plugins))

    def resolve_type(self, type_name: str, dataset: str, where: str) -> type[AbstractDataSet]:
        """The dataset class a `type:` names.

        Args:
            type_name: A short name or a dotted path.
            dataset: The dataset's name, for messages.
            where: The file that defines the entry, for messages.

        Raises:
            CatalogError: The type is unknown (with a "did you mean"), cannot be imported, or
                is not an `AbstractDataSet` subclass.
        """
        resolved = self._resolved.get(type_name)
        if resolved is not None:  # thousands of entries share a handful of types
            return resolved
        resolved = self._resolve(type_name, dataset, where)
        self._resolved[type_name] = resolved
        return resolved

    def _resolve(self, type_name: str, dataset: str, where: str) -> type[AbstractDataSet]:
        target: object = self._types.get(type_name)
        if target is None and "." not in type_name:
            target = self._plugin_type(type_name)
        if target is None and "." not in type_name:
            raise CatalogError(
                f"Dataset '{dataset}' ({where}): unknown type '{type_name}'",
                hint=did_you_mean(type_name, self.known_types(), cutoff=0.5)
                or "use a registered name (aether catalog types) or a dotted path",
            )
        target = target or type_name
        if isinstance(target, str):
            target = self._import(target, dataset, where)
        if not (inspect.isclass(target) and issubclass(target, AbstractDataSet)):
            raise CatalogError(
                f"Dataset '{dataset}' ({where}): type '{type_name}' is not an AbstractDataSet",
                hint="subclass aether.AbstractDataSet and implement _load/_save/_exists/_describe",
            )
        self._types[type_name] = target  # a worker's factory gets the class itself
        return target

    def _plugin_type(self, type_name: str) -> object:
        """What the entry point called `type_name` names (a class, or a dotted path), or
        None when there is none."""
        self._load_plugins()
        point = self._plugins.get(type_name)
        return None if point is None else point.load()

    def create(self, entry: CatalogEntry, credentials: Mapping[str, Any] | None) -> AbstractDataSet:
        """Build the dataset of one catalog entry, named after it.

        Args:
            entry: The parsed catalog entry.
            credentials: The credentials the entry refers to, passed as `credentials=`.

        Raises:
            CatalogError: The type cannot be resolved or the class rejects the arguments
                (with a "did you mean" for a misspelt one).
        """
        cls = self.resolve_type(entry.type_name, entry.name, entry.where)
        arguments = dict(entry.arguments)
        if self.project_path is not None:
            for key in _LOCAL_PATH_KEYS:
                if isinstance(arguments.get(key), str):
                    arguments[key] = _absolute(arguments[key], self.project_path)
        if credentials is not None:
            arguments["credentials"] = _local_database(dict(credentials), self.project_path)
        _check_arguments(cls, arguments, entry)
        if _RUN_PARAMETERS in (_accepted_arguments(cls) or ()):
            arguments[_RUN_PARAMETERS] = self.parameters
        try:
            dataset = cls(**arguments)
        except CatalogError as exc:
            if f"'{entry.name}'" in exc.message:
                raise
            # A class checks its arguments without knowing its name: say which entry it is.
            raise CatalogError(
                f"Dataset '{entry.name}' ({entry.where}): {redact(exc.message)}", hint=exc.hint
            ) from None
        except Exception as exc:
            raise CatalogError(
                f"Dataset '{entry.name}' ({entry.where}): {cls.__name__} rejected its "
                f"arguments: {type(exc).__name__}: {redact(str(exc))}",
                hint="fix the catalog entry",
            ) from None
        dataset.name = entry.name
        dataset.owner = _owner(self.project_path, entry.name)
        if entry.versioned is not None:
            from aether.datasets.files import AbstractFileDataSet

            if not isinstance(dataset, AbstractFileDataSet):
                raise CatalogError(
                    f"Dataset '{entry.name}' ({entry.where}): {cls.__name__} cannot keep "
                    "versions (`versioned:` is for file datasets: CSV, Parquet, JSON, "
                    "pickle, text, Excel, locally or in object storage)",
                    hint="remove `versioned:`, or keep this data in a file dataset",
                )
            dataset.versioned = entry.versioned
        return dataset

    def _import(self, dotted: str, dataset: str, where: str) -> Any:
        from aether.support.dotted_paths import import_object

        try:
            return import_object(dotted)
        except (ImportError, AttributeError) as exc:
            raise CatalogError(
                f"Dataset '{dataset}' ({where}): cannot import type '{dotted}': {exc}",
                hint="check the dotted path; project code is looked up in src/",
            ) from None
        except Exception as exc:  # the module's own code failed while it was imported
            raise CatalogError(
                f"Dataset '{dataset}' ({where}): importing '{dotted}' raised "
                f"{type(exc).__name__}: {exc}",
                hint="fix the error in that module (run with --debug for the traceback)",
            ) from exc

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from importlib.metadata import entry_points

        for point in entry_points(group=ENTRY_POINT_GROUP):
            self._plugins.setdefault(point.name, point)  # loaded on first use


@functools.lru_cache(maxsize=256)
def _accepted_arguments(cls: type) -> tuple[str, ...] | None:
    """The keyword arguments ``cls`` accepts; None when it takes any (``**kwargs``)."""
    try:
        parameters = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return None
    return tuple(parameters)


def _check_arguments(cls: type, arguments: Mapping[str, Any], entry: CatalogEntry) -> None:
    parameters = _accepted_arguments(cls)
    if parameters is None:
        return
    for key in arguments:
        if key == _RUN_PARAMETERS:
            raise CatalogError(
                f"Dataset '{entry.name}' ({entry.where}): `{key}` is set by Aether",
                hint="remove it: the dataset receives the run's parameters (parameters.yml)",
            )
        if key not in parameters:
            accepted = [p for p in parameters if p != "self"]
            raise CatalogError(
                f"Dataset '{entry.name}' ({entry.where}): {cls.__name__} has no argument '{key}'",
                hint=did_you_mean(key, accepted) or f"it accepts: {accepted}",
            )


def _local_database(credentials: dict[str, Any], root: Path | None) -> dict[str, Any]:
    """`credentials` with a relative SQLite/DuckDB file in `con:` made absolute against root."""
    con = credentials.get("con")
    if not isinstance(con, str) or root is None:
        return credentials
    match = _RELATIVE_FILE_DATABASE.match(con)
    if match is None:
        return credentials
    return {**credentials, "con": match.group(0) + os.path.join(str(root), con[match.end() :])}


def _absolute(path: str, root: Path) -> str:
    if path.startswith("~"):
        return os.path.expanduser(path)
    if "://" in path or path.startswith("/"):
        return path
    return os.path.join(root, path)  # os.path: ~10x cheaper than pathlib, per catalog entry


def _owner(project_path: Path | None, name: str) -> str:
    """8 hex digits standing for this project's entry ``name`` (see AbstractDataSet.owner)."""
    where = _resolved(project_path) if project_path is not None else ""
    return hashlib.sha256(f"{where}\0{name}".encode()).hexdigest()[:8]


@functools.lru_cache(maxsize=8)
def _resolved(project_path: Path) -> str:
    """The project's real path, resolved once per process: not once per dataset (10,000
    ``realpath`` calls cost a fifth of a second)."""
    return str(Path(project_path).resolve())
