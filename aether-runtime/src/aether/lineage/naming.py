"""Datasets named the OpenLineage way: a namespace saying where the data lives, a name
saying which data it is (OpenLineage's `Naming.md`).

- a local file: namespace `file`, name its absolute path;
- an object store: `s3://bucket` (`gs://`, `abfs://`...), name the key;
- a table: `postgres://host:port` (`mysql://`...), name `database.schema.table`; in a
  SQLite or DuckDB file, `sqlite:///path/to/file.db`, name `schema.table`;
- an HTTP API: `https://host[:port]`, name the path (never the query string);
- anything else (a dataset held in memory for one run, a type with no location): the
  project's namespace and the dataset's catalog name, so the graph stays connected.

Locations are read as `aether.project.locations` spells them (never a user or password),
and every name passes through `redact` on top.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from aether.catalog.data_catalog import DataCatalog
from aether.lineage.events import DatasetName
from aether.project.locations import LOCAL_SCHEME, TABLE_SCHEME, PlacedEntry, place_entries
from aether.support.redaction import redact

# OpenLineage spells a few engines differently from SQLAlchemy.
_ENGINE_SCHEMES = {"postgresql": "postgres", "mssql": "sqlserver"}


class DatasetNamer:
    """Names the catalog's datasets (each worked out once, on first use).

    Args:
        catalog: The run's catalog (entries are read as written; nothing is built).
        project_path: The project folder, against which relative paths are resolved.
        namespace: The project's namespace, for datasets without a location.
    """

    def __init__(self, catalog: DataCatalog, project_path: Path, namespace: str) -> None:
        self.catalog = catalog
        self.project_path = project_path
        self.namespace = namespace
        self._names: dict[str, DatasetName] = {}

    def __call__(self, dataset: str) -> DatasetName:
        found = self._names.get(dataset)
        if found is None:
            found = self._names[dataset] = self._name(dataset)
        return found

    def _name(self, dataset: str) -> DatasetName:
        entry = self.catalog.entries.get(dataset)
        if entry is None or not self.catalog.is_declared(dataset):
            return DatasetName(self.namespace, dataset)
        placed = place_entries([entry], self.project_path, self.catalog.connection_text)
        if placed:
            return _masked(_from_location(placed[0]))
        url = entry.arguments.get("url")
        if isinstance(url, str) and (named := _from_url(url)) is not None:
            return _masked(named)
        return DatasetName(self.namespace, dataset)


def _from_location(placed: PlacedEntry) -> DatasetName:
    location = placed.location
    if location.scheme == LOCAL_SCHEME:
        return DatasetName("file", str(location))
    if location.scheme != TABLE_SCHEME:
        bucket, *key = location.parts
        return DatasetName(f"{location.scheme}://{bucket}", "/".join(key))
    engine, *database, schema, table = location.parts
    scheme = _ENGINE_SCHEMES.get(engine, engine)
    if placed.database_file is not None:  # SQLite, DuckDB: the database is a file
        return DatasetName(f"{scheme}://{placed.database_file}", f"{schema}.{table}")
    server, name = database
    return DatasetName(f"{scheme}://{server}", f"{name}.{schema}.{table}")


def _from_url(url: str) -> DatasetName | None:
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not parts.scheme or not host:
        return None
    server = f"{host}:{port}" if port else host  # no user, no password: hostname drops them
    return DatasetName(f"{parts.scheme.lower()}://{server}", parts.path or "/")


def _masked(name: DatasetName) -> DatasetName:
    return DatasetName(redact(name.namespace), redact(name.name))
