"""The data catalog: catalog.yml entries turned into datasets, by name.

`DataSetFactory` resolves an entry's `type:` (a registered short name, a dotted path, or
a name registered by another package under the `aether.datasets` entry-point group) and
builds the dataset; `DataCatalog` holds the entries and builds datasets on first use.
Names a pipeline uses but the catalog does not declare are in-memory datasets.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aether.datasets import BUILTIN_DATASETS
from aether.datasets.base import AbstractDataSet
from aether.errors import CatalogError, CredentialsError
from aether.redaction import redact, redact_value, register_credentials

ENTRY_POINT_GROUP = "aether.datasets"
# Keys of a catalog entry that describe the asset rather than configure the dataset class.
ASSET_KEYS = ("type", "metadata", "checks", "freshness", "credentials", "layer")
_LOCAL_PATH_KEYS = ("filepath", "path")


@dataclass(frozen=True)
class CatalogEntry:
    """One catalog.yml entry, split into what builds the dataset and what describes it.

    Attributes:
        name: The dataset's name (the entry's key).
        type_name: `type:` as written: a registered short name or a dotted path.
        arguments: The other keys, passed to the dataset class as keyword arguments.
        metadata: `metadata:`, free-form information for readers (owner, description...).
        checks: `checks:`, the data-quality checks run on every new version.
        freshness: `freshness:` (`warn_after`, `error_after`), or None.
        credentials_ref: `credentials:`, the key of credentials.yml to pass, or None.
        where: The file (and line) that defines the entry, for messages.
    """

    name: str
    type_name: str
    arguments: Mapping[str, Any]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    checks: tuple[Any, ...] = ()
    freshness: Mapping[str, Any] | None = None
    credentials_ref: str | None = None
    where: str = "conf/base/catalog.yml"


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
        except CatalogError:
            raise
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


class DataCatalog:
    """Datasets by name, built from catalog.yml (`from_config()`) or from objects.

    A name the catalog does not declare is an in-memory dataset (it lives for one run).
    Datasets of entries are built on first use, so a broken entry only fails what uses it
    (`validate()` builds them all up front).

    Args:
        datasets: Ready-made datasets by name (each gets that name).
        entries: Parsed catalog entries by name, built on first use.
        credentials: The content of credentials.yml; its values are masked in every log
            line and message from then on.
        credentials_file: Where credentials come from, for messages.
        factory: Builds datasets from entries (default: a new `DataSetFactory`).

    Attributes:
        entries: The parsed catalog entries by name.
        factory: The `DataSetFactory` that builds datasets from entries.

    Example:
        ```python
        catalog = DataCatalog({"orders": PandasCsvDataSet(filepath="data/01_raw/orders.csv")})
        orders = catalog.load("orders")
        ```
    """

    def __init__(
        self,
        datasets: Mapping[str, AbstractDataSet] | None = None,
        *,
        entries: Mapping[str, CatalogEntry] | None = None,
        credentials: Mapping[str, Any] | None = None,
        credentials_file: str = "conf/local/credentials.yml",
        factory: DataSetFactory | None = None,
    ) -> None:
        self._datasets: dict[str, AbstractDataSet] = {}
        for name, dataset in (datasets or {}).items():
            dataset.name = name
            self._datasets[name] = dataset
        self.entries: dict[str, CatalogEntry] = dict(entries or {})
        # Registered here, where every process (a parallel worker too) gets its credentials,
        # so any text this process sends anywhere is masked.
        register_credentials(credentials)
        self._credentials = credentials
        self._credentials_file = credentials_file
        self.factory = factory or DataSetFactory()

    @classmethod
    def from_config(
        cls,
        catalog: Mapping[str, Any],
        *,
        credentials: Mapping[str, Any] | None = None,
        credentials_file: str = "conf/local/credentials.yml",
        project_path: Path | None = None,
        where: Mapping[str, str] | None = None,
    ) -> DataCatalog:
        """A catalog from the merged content of catalog.yml (entries are built lazily).

        Args:
            catalog: Dataset entries by name; keys starting with `_` (YAML anchors) are skipped.
            credentials: The content of credentials.yml, or None when there is none.
            credentials_file: Where credentials come from, for messages.
            project_path: The project root, against which relative paths are resolved.
            where: The file (and line) defining each entry, for messages.

        Raises:
            CatalogError: An entry is malformed (no `type:`, `checks:` not a list...).
        """
        locations = where or {}
        entries = {
            str(name): parse_entry(str(name), raw, locations.get(str(name), "catalog.yml"))
            for name, raw in catalog.items()
            if not str(name).startswith("_")  # `_anchors:` hold YAML anchors, not datasets
        }
        return cls(
            entries=entries,
            credentials=credentials,
            credentials_file=credentials_file,
            factory=DataSetFactory(project_path),
        )

    def __contains__(self, name: object) -> bool:
        return name in self._datasets or name in self.entries

    def list(self) -> list[str]:
        """The names of every dataset the catalog knows, sorted."""
        return sorted(set(self._datasets) | set(self.entries))

    def is_declared(self, name: str) -> bool:
        """Whether the dataset is stored (an asset), not held in memory for one run.

        A catalog entry of `type: MemoryDataSet` is in memory too: it only documents it.

        Args:
            name: The dataset's name.
        """
        entry = self.entries.get(name)
        if entry is not None:
            return entry.type_name.rsplit(".", 1)[-1] != "MemoryDataSet"
        return name in self._datasets and type(self._datasets[name]).__name__ != "MemoryDataSet"

    def get(self, name: str) -> AbstractDataSet:
        """The dataset called `name`; undeclared names become in-memory datasets.

        Args:
            name: The dataset's name.

        Raises:
            CatalogError: Its entry cannot be built.
            CredentialsError: The credentials it names cannot be found.
        """
        dataset = self._datasets.get(name)
        if dataset is None:
            entry = self.entries.get(name)
            if entry is None:
                from aether.datasets.memory import MemoryDataSet

                dataset = MemoryDataSet()
                dataset.name = name
            else:
                dataset = self.factory.create(entry, self._resolve_credentials(entry))
            self._datasets[name] = dataset
        return dataset

    def add(self, name: str, dataset: AbstractDataSet, *, replace: bool = False) -> None:
        """Add a ready-made dataset under `name`.

        Args:
            name: The name to give it.
            dataset: The dataset.
            replace: Replace a dataset already built under that name instead of refusing.

        Raises:
            CatalogError: A dataset is already there and `replace` is False.
        """
        if name in self._datasets and not replace:
            raise CatalogError(f"Dataset '{name}' is already in the catalog")
        dataset.name = name
        self._datasets[name] = dataset

    def load(self, name: str) -> Any:
        """Load the dataset called `name` (see `get()`).

        Args:
            name: The dataset's name.
        """
        return self.get(name).load()

    def save(self, name: str, data: Any) -> None:
        """Save `data` to the dataset called `name` (see `get()`).

        Args:
            name: The dataset's name.
            data: What to store.
        """
        self.get(name).save(data)

    def exists(self, name: str) -> bool:
        """Whether the dataset called `name` has data.

        Args:
            name: The dataset's name.
        """
        return self.get(name).exists()

    def validate(self, names: Iterable[str] | None = None) -> None:
        """Build every (or the named) declared dataset, surfacing config errors early.

        Args:
            names: The datasets to build; None builds every declared one.

        Raises:
            CatalogError: An entry cannot be built.
        """
        for name in sorted(names if names is not None else self.entries):
            if name in self.entries:
                self.get(name)

    def describe(self, name: str) -> dict[str, Any]:
        """Type, location, metadata, checks and freshness of a dataset; never its secrets.

        Redacted here rather than trusted to each `_describe()`: a custom dataset may
        return its connection string.

        Args:
            name: The dataset's name.
        """
        return redact_value(self._describe(name))

    def _describe(self, name: str) -> dict[str, Any]:
        entry = self.entries.get(name)
        dataset = self.get(name)
        described = dataset.describe()
        if entry is None:
            return {"name": name, **described}
        return {
            "name": name,
            **described,
            "type": entry.type_name,
            "outside_changes": change_detection(dataset) if self.is_declared(name) else None,
            "metadata": dict(entry.metadata),
            "checks": list(entry.checks),
            "freshness": dict(entry.freshness) if entry.freshness else None,
            "credentials": entry.credentials_ref and f"<{entry.credentials_ref}: hidden>",
            "defined_in": entry.where,
        }

    def _resolve_credentials(self, entry: CatalogEntry) -> Mapping[str, Any] | None:
        ref = entry.credentials_ref
        if ref is None:
            return None
        if self._credentials is None:
            raise CredentialsError(
                f"Dataset '{entry.name}' uses credentials '{ref}', but "
                f"{self._credentials_file} does not exist",
                hint=f"create {self._credentials_file} with a '{ref}:' entry "
                "(copy credentials.example.yml if the project has one)",
            )
        found = self._credentials.get(ref)
        if not isinstance(found, Mapping):
            known = ", ".join(sorted(self._credentials)) or "none"
            raise CredentialsError(
                f"Dataset '{entry.name}' uses credentials '{ref}', which "
                f"{self._credentials_file} does not define",
                hint=f"add a '{ref}:' mapping to that file (defined there: {known})",
            )
        return found


def change_detection(dataset: AbstractDataSet) -> str:
    """How the staleness engine notices a change made to the data outside Aether."""
    cls = type(dataset)
    hooks = [
        label
        for label, method in (("signature()", "signature"), ("content_hash()", "content_hash"))
        if getattr(cls, method) is not getattr(AbstractDataSet, method)
    ]
    if not hooks:
        return "not detected: implement signature() (Aether trusts its own record)"
    return "detected by " + " and ".join(hooks)


def parse_entry(name: str, raw: Any, where: str) -> CatalogEntry:
    """Validate one catalog.yml entry's shape (not its type's arguments)."""
    if not isinstance(raw, Mapping):
        raise CatalogError(
            f"Dataset '{name}' ({where}): the entry must be a mapping with a `type:`",
            hint="e.g. {type: PandasCsvDataSet, filepath: data/01_raw/x.csv}",
        )
    type_name = raw.get("type")
    if not isinstance(type_name, str) or not type_name:
        raise CatalogError(
            f"Dataset '{name}' ({where}) has no `type:`",
            hint="add e.g. `type: PandasParquetDataSet`",
        )
    checks = raw.get("checks") or []
    if not isinstance(checks, list):
        raise CatalogError(f"Dataset '{name}' ({where}): `checks:` must be a list")
    freshness = raw.get("freshness")
    if freshness is not None and not isinstance(freshness, Mapping):
        raise CatalogError(
            f"Dataset '{name}' ({where}): `freshness:` must be a mapping",
            hint="e.g. freshness: {warn_after: 1h, error_after: 1d}",
        )
    credentials = raw.get("credentials")
    if credentials is not None and not isinstance(credentials, str):
        raise CatalogError(
            f"Dataset '{name}' ({where}): `credentials:` must name an entry of credentials.yml",
            hint="move the secret values to conf/local/credentials.yml and reference its key",
        )
    metadata = raw.get("metadata") or {}
    if not isinstance(metadata, Mapping):
        raise CatalogError(f"Dataset '{name}' ({where}): `metadata:` must be a mapping")
    return CatalogEntry(
        name=name,
        type_name=type_name,
        arguments={k: v for k, v in raw.items() if k not in ASSET_KEYS},
        metadata=metadata,
        checks=tuple(checks),
        freshness=freshness,
        credentials_ref=credentials,
        where=where,
    )


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
