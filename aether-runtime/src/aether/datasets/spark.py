"""Spark DataFrames in files (Parquet, CSV, JSON, Delta) and in metastore tables.

pyspark (the `spark` extra) is imported on first load or save only; the session comes from
`aether.spark.session`, built once per process. A file dataset's signature is read from the
file system (sizes and mtimes of its part files, or a Delta table's last log version), never
from Spark: `aether status` starts no JVM. A metastore table cannot be told cheaply: it has
no signature, so a run re-observes it.
"""

from __future__ import annotations

import os
import re
from typing import Any

from aether.datasets.base import AbstractDataSet
from aether.datasets.optional import require
from aether.errors import CatalogError, DataSetError
from aether.support.redaction import redact_url

_FORMATS = ("parquet", "csv", "json", "delta")
_MODES = ("overwrite", "append", "ignore", "error", "errorifexists")
_TABLE_NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*){0,2}$")
_DELTA_LOG_FILE = re.compile(r"^(\d{20})\.json$")


def spark_path(filepath: str) -> str:
    """The path Spark is given: `s3://` becomes `s3a://` (Hadoop's S3 client), `/dbfs/x`
    (the FUSE mount on a cluster) becomes `dbfs:/x`; other paths are kept as written."""
    if filepath.startswith("s3://"):
        return "s3a://" + filepath[len("s3://") :]
    if filepath.startswith("/dbfs/"):
        return "dbfs:/" + filepath[len("/dbfs/") :]
    return filepath


def local_path(filepath: str) -> str | None:
    """The local folder behind `filepath`, or None when it is not on this machine's file
    system (`dbfs:/`, `s3://`...). `/Volumes/...` is local on a cluster and here alike."""
    if filepath.startswith("file://"):
        return filepath[len("file://") :]
    if "://" in filepath or re.match(r"^[A-Za-z][\w+.-]*:/", filepath):
        return None
    return filepath


def _is_missing_path(exc: BaseException) -> bool:
    text = str(exc)
    return "PATH_NOT_FOUND" in text or "Path does not exist" in text


class SparkDataSet(AbstractDataSet):
    """A Spark DataFrame stored as files: Parquet (the default), CSV, JSON or Delta.

    Args:
        filepath: A local path (relative to the project in catalog.yml), `/Volumes/...`,
            `dbfs:/...` or `/dbfs/...`, or `s3://...` (read by Spark as `s3a://`).
        file_format: `parquet` (default), `csv`, `json` or `delta`.
        load_args: Options of Spark's reader (e.g. `header: true`, `inferSchema: true`).
        save_args: `mode` (`overwrite`, the default, `append`, `ignore`, `error`),
            `partitionBy` (a list of columns) and options of Spark's writer.
        metadata: Free-form information about the dataset, kept as `metadata`.

    A pandas DataFrame returned by a node is converted to a Spark DataFrame on save.

    Example:
        ```yaml
        orders_by_day:
          type: SparkDataSet
          filepath: data/03_primary/orders_by_day
          save_args: {mode: overwrite, partitionBy: [day]}
        ```
    """

    # Spark's session lives in the run's process: the parallel runner runs its nodes there.
    runs_in_main_process = True

    def __init__(
        self,
        filepath: str,
        file_format: str = "parquet",
        load_args: dict[str, Any] | None = None,
        save_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        require("pyspark", "spark", "SparkDataSet")
        if not isinstance(filepath, str) or not filepath:
            raise CatalogError(
                f"SparkDataSet needs a non-empty 'filepath', got {filepath!r}",
                hint="set `filepath:` to a folder, e.g. data/03_primary/orders",
            )
        if file_format not in _FORMATS:
            raise CatalogError(
                f"SparkDataSet file_format must be one of {', '.join(_FORMATS)}, "
                f"got {file_format!r}",
                hint="e.g. `file_format: parquet`",
            )
        # The catalog joins a relative path to the project root; `dbfs:/x` has no `://`
        # and would be joined too: take it back.
        marker = filepath.find("/dbfs:/")
        if marker >= 0:
            filepath = filepath[marker + 1 :]
        self._filepath = spark_path(filepath)
        self._format = file_format
        self._load_args = dict(load_args or {})
        self._save_args = {"mode": "overwrite", **(save_args or {})}
        if self._save_args["mode"] not in _MODES:
            raise CatalogError(
                f"SparkDataSet save_args.mode must be one of {', '.join(_MODES)}, "
                f"got {self._save_args['mode']!r}",
                hint="set `save_args: {mode: overwrite}` (or append, ignore, error)",
            )
        partition_by = self._save_args.get("partitionBy")
        if partition_by is not None and not (
            isinstance(partition_by, list) and all(isinstance(c, str) for c in partition_by)
        ):
            raise CatalogError(
                f"SparkDataSet save_args.partitionBy must be a list of column names, "
                f"got {partition_by!r}",
                hint="e.g. `save_args: {partitionBy: [day]}`",
            )
        self.metadata = dict(metadata or {})

    @property
    def location(self) -> str:
        return redact_url(self._filepath)

    def signature(self) -> dict[str, Any] | None:
        """Sizes and mtimes of the data files, or a Delta table's last log version: read
        from the file system, never through Spark. None when the data is not local."""
        folder = local_path(self._filepath)
        if folder is None or not os.path.exists(folder):
            return None
        if self._format == "delta":
            versions = [
                int(match.group(1))
                for name in _listdir(os.path.join(folder, "_delta_log"))
                if (match := _DELTA_LOG_FILE.match(name))
            ]
            return {"version": max(versions)} if versions else None
        return {"files": _file_stamps(folder)}

    @property
    def content_hash_is_costly(self) -> bool:
        """True off this machine (`dbfs:/`, `s3://`): only Spark can list the files."""
        return local_path(self._filepath) is None

    def content_hash(self) -> str | None:
        """For data off this machine, a hash of its data files' names, listed by Spark;
        local data is known by its signature."""
        if local_path(self._filepath) is None and self._exists():
            return _files_hash(self.load().inputFiles())
        return None

    def _spark(self) -> Any:
        from aether.spark.session import get_spark

        return get_spark()

    def _load(self) -> Any:
        spark = self._spark()
        options = dict(self._load_args)
        schema = options.pop("schema", None)
        reader = spark.read.format(self._format).options(**_texts(options))
        if schema is not None:
            reader = reader.schema(schema)
        try:
            return reader.load(self._filepath)
        except Exception as exc:
            if _is_missing_path(exc):
                raise DataSetError(
                    f"Dataset '{self.name}' (SparkDataSet) has no data at {self.location}",
                    hint="is it produced by a node that has not run yet? `aether status` "
                    "shows what is missing; otherwise fix `filepath:` in the catalog",
                ) from None
            raise

    def _save(self, data: Any) -> None:
        spark = self._spark()
        data = _as_spark_frame(spark, data, self.name)
        options = dict(self._save_args)
        mode = options.pop("mode")
        partition_by = options.pop("partitionBy", None)
        writer = data.write.format(self._format).mode(mode).options(**_texts(options))
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        writer.save(self._filepath)

    def _exists(self) -> bool:
        folder = local_path(self._filepath)
        if folder is not None:  # no JVM for a local look
            return os.path.exists(folder)
        spark = self._spark()
        try:
            spark.read.format(self._format).load(self._filepath).limit(0)
        except Exception as exc:
            if _is_missing_path(exc):
                return False
            raise
        return True

    def _describe(self) -> dict[str, Any]:
        return {
            "filepath": self.location,
            "file_format": self._format,
            "load_args": dict(self._load_args),
            "save_args": dict(self._save_args),
        }


class SparkTableDataSet(AbstractDataSet):
    """A Spark DataFrame in a metastore table (`database.table` or `catalog.schema.table`).

    A table's version cannot be told without asking Spark, so it has no signature: `aether
    status` says it cannot tell cheaply, and a run re-observes it.

    Args:
        table: The table's name, e.g. `sales.orders` (Unity Catalog: `main.sales.orders`).
        save_args: `mode` (`overwrite`, the default, `append`, `ignore`, `error`),
            `partitionBy`, and options of Spark's writer.
        metadata: Free-form information about the dataset, kept as `metadata`.
    """

    runs_in_main_process = True

    def __init__(
        self,
        table: str,
        save_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        require("pyspark", "spark", "SparkTableDataSet")
        if not isinstance(table, str) or not _TABLE_NAME.match(table):
            raise CatalogError(
                f"SparkTableDataSet 'table' must be database.table, got {table!r}",
                hint="e.g. `table: sales.orders` (or catalog.schema.table)",
            )
        self._table = table
        self._save_args = {"mode": "overwrite", **(save_args or {})}
        if self._save_args["mode"] not in _MODES:
            raise CatalogError(
                f"SparkTableDataSet save_args.mode must be one of {', '.join(_MODES)}, "
                f"got {self._save_args['mode']!r}",
                hint="set `save_args: {mode: overwrite}` (or append, ignore, error)",
            )
        self.metadata = dict(metadata or {})

    def _spark(self) -> Any:
        from aether.spark.session import get_spark

        return get_spark()

    @property
    def content_hash_is_costly(self) -> bool:
        """True: only Spark can tell, so `status` never asks and a run re-observes it."""
        return True

    def content_hash(self) -> str | None:
        """A hash of the names of the table's data files (each write makes new ones):
        asks Spark, so only `aether run` and `reconcile` call it."""
        if not self._exists():
            return None
        return _files_hash(self._spark().table(self._table).inputFiles())

    def _load(self) -> Any:
        return self._spark().table(self._table)

    def _save(self, data: Any) -> None:
        spark = self._spark()
        data = _as_spark_frame(spark, data, self.name)
        options = dict(self._save_args)
        mode = options.pop("mode")
        partition_by = options.pop("partitionBy", None)
        writer = data.write.mode(mode).options(**_texts(options))
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        writer.saveAsTable(self._table)

    def _exists(self) -> bool:
        return bool(self._spark().catalog.tableExists(self._table))

    def _describe(self) -> dict[str, Any]:
        return {"table": self._table, "save_args": dict(self._save_args)}


def _as_spark_frame(spark: Any, data: Any, name: str) -> Any:
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        import pyarrow as pa

        if any(name is not None for name in data.index.names):
            data = data.reset_index()  # a named index (a groupby key) is data: keep it
        # Through Arrow: pyspark's pandas path warns (and is not supported) with pandas >= 3.
        return spark.createDataFrame(pa.Table.from_pandas(data, preserve_index=False))
    if hasattr(data, "write") and hasattr(data, "schema"):
        return data
    raise DataSetError(
        f"Dataset '{name}' can only save a Spark or pandas DataFrame, but got "
        f"{type(data).__module__}.{type(data).__qualname__}",
        hint="return a pyspark.sql.DataFrame (or a pandas.DataFrame) from the node",
    )


def _files_hash(files: list[str]) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256("\n".join(sorted(files)).encode()).hexdigest()


def _texts(options: dict[str, Any]) -> dict[str, str]:
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in options.items()}


def _listdir(folder: str) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def _file_stamps(folder: str) -> list[list[Any]]:
    """[relative path, size, mtime_ns] of every data file under `folder`, sorted; Spark's
    own bookkeeping (`_SUCCESS`, `.crc`, hidden files) left out as it changes nothing."""
    if os.path.isfile(folder):
        stat = os.stat(folder)
        return [["", stat.st_size, stat.st_mtime_ns]]
    stamps: list[list[Any]] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
        for name in files:
            if name.startswith((".", "_")) or name.endswith(".crc"):
                continue
            path = os.path.join(root, name)
            stat = os.stat(path)
            stamps.append([os.path.relpath(path, folder), stat.st_size, stat.st_mtime_ns])
    return sorted(stamps)
