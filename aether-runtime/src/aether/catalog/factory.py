"""Building datasets from catalog entries: resolving a `type:` (a registered short name, a
name another package declares under the `aether.datasets` entry-point group, or a dotted
path) and checking the entry's arguments against the class before building it."""

from __future__ import annotations

import difflib
import functools
import inspect
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aether.catalog.entries import CatalogEntry
from aether.datasets import BUILTIN_DATASETS
from aether.datasets.base import AbstractDataSet
from aether.errors import CatalogError
from aether.redaction import redact

ENTRY_POINT_GROUP = "aether.datasets"
_LOCAL_PATH_KEYS = ("filepath", "path")


class DataSetFactory:
    """Builds datasets from catalog entries. Register extra types with `register()`.

    A `type:` is found, in this order, among the registered names (the built-in datasets and
    what `register()` added), then the names other packages declare under the entry-point
    group `aether.datasets`; a `type:` with a dot is imported as a dotted path.

    Args:
        project_path: The project root: relative `filepath:`/`path:` arguments are made
            absolute against it. None keeps them as written.

    Attributes:
        project_path: The project root given to the constructor.
    """

    def __init__(self, project_path: Path | None = None) -> None:
        self.project_path = project_path
        self._types: dict[str, Any] = dict(BUILTIN_DATASETS)
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

    def known_types(self) -> list[str]:
        """Every short name a `type:` may use (built in, registered, from entry points)."""
        self._load_plugins()
        return sorted(self._types)

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
        target = self._types.get(type_name)
        if target is None and "." not in type_name:
            self._load_plugins()
            target = self._types.get(type_name)
        if target is None and "." not in type_name:
            close = difflib.get_close_matches(type_name, self.known_types(), n=1, cutoff=0.5)
            raise CatalogError(
                f"Dataset '{dataset}' ({where}): unknown type '{type_name}'",
                hint=f"did you mean '{close[0]}'?"
                if close
                else "use a registered name (aether catalog types) or a dotted path",
            )
        target = target or type_name
        if hasattr(target, "load") and hasattr(target, "group"):  # an entry point
            target = target.load()
            self._types[type_name] = target
        if isinstance(target, str):
            target = self._import(target, dataset, where)
            self._types[type_name] = target
        if not (inspect.isclass(target) and issubclass(target, AbstractDataSet)):
            raise CatalogError(
                f"Dataset '{dataset}' ({where}): type '{type_name}' is not an AbstractDataSet",
                hint="subclass aether.AbstractDataSet and implement _load/_save/_exists/_describe",
            )
        return target

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
            arguments["credentials"] = dict(credentials)
        _check_arguments(cls, arguments, entry)
        try:
            dataset = cls(**arguments)
        except CatalogError as error:
            # The class cannot know its own name yet (a missing driver, a bad argument):
            # the entry and its file and line make the message one the user can act on.
            raise CatalogError(
                f"Dataset '{entry.name}' ({entry.where}): {error.message}", hint=error.hint
            ) from None
        except Exception as exc:
            raise CatalogError(
                f"Dataset '{entry.name}' ({entry.where}): {cls.__name__} rejected its "
                f"arguments: {type(exc).__name__}: {redact(str(exc))}",
                hint="fix the catalog entry",
            ) from None
        dataset.name = entry.name
        return dataset

    def _import(self, dotted: str, dataset: str, where: str) -> Any:
        from aether.dotted_paths import import_object

        try:
            return import_object(dotted)
        except (ImportError, AttributeError) as exc:
            raise CatalogError(
                f"Dataset '{dataset}' ({where}): cannot import type '{dotted}': {exc}",
                hint="check the dotted path; project code is looked up in src/",
            ) from None

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from importlib.metadata import entry_points

        for point in entry_points(group=ENTRY_POINT_GROUP):
            self._types.setdefault(point.name, point)  # loaded on first use


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
        if key not in parameters:
            accepted = [p for p in parameters if p != "self"]
            close = difflib.get_close_matches(key, accepted, n=1)
            raise CatalogError(
                f"Dataset '{entry.name}' ({entry.where}): {cls.__name__} has no argument '{key}'",
                hint=f"did you mean '{close[0]}'?" if close else f"it accepts: {accepted}",
            )


def _absolute(path: str, root: Path) -> str:
    if path.startswith("~"):
        return os.path.expanduser(path)
    if "://" in path or path.startswith("/"):
        return path
    return os.path.join(root, path)  # os.path: ~10x cheaper than pathlib, per catalog entry
