"""Delta Lake tables as pandas DataFrames, locally or on object storage, through deltalake.

deltalake (delta-rs, the `[delta]` extra) is imported inside methods only. A Delta table is a
folder of Parquet files plus a transaction log (`_delta_log/`): every write is one commit
that readers see entirely or not at all, and each commit gets the next table version. That
version is the table's signature: reading it reads the log, never the data.

An append happens exactly once per node fingerprint: its commit carries a Delta application
transaction (``aether-<owner>-<fingerprint>``), so a run killed after the commit but before
Aether recorded it does not append the rows again when the next run retries the node.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

from aether.datasets.base import AbstractDataSet
from aether.datasets.optional import require
from aether.datasets.remote import endpoint_of, reported_remote_errors, resolve_filepath
from aether.errors import CatalogError, DataSetError
from aether.support.redaction import redact_url

if TYPE_CHECKING:  # deltalake is imported on first use only (the `delta` extra)
    from deltalake import CommitProperties, DeltaTable

logger = logging.getLogger("aether.datasets")
_MODES = ("overwrite", "append", "error")
_LOAD_KEYS = ("version", "columns")
# What a user writes in credentials.yml for S3 -> deltalake's storage option.
_DELTA_CREDENTIAL_KEYS = {
    "key": "AWS_ACCESS_KEY_ID",
    "secret": "AWS_SECRET_ACCESS_KEY",
    "token": "AWS_SESSION_TOKEN",
    "endpoint_url": "AWS_ENDPOINT_URL",
    "region": "AWS_REGION",
}


def delta_storage_options(credentials: dict[str, Any]) -> dict[str, str]:
    """deltalake's `storage_options` from a credentials.yml entry.

    `{key, secret, token, endpoint_url, region}` become `AWS_ACCESS_KEY_ID`,
    `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_ENDPOINT_URL` and `AWS_REGION`; an
    `http://` endpoint (a local test server) adds `AWS_ALLOW_HTTP=true`. Other keys (such as
    `AWS_S3_ALLOW_UNSAFE_RENAME`) pass through; every value becomes text, as deltalake wants.
    """
    options: dict[str, str] = {}
    for key, value in credentials.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        options[_DELTA_CREDENTIAL_KEYS.get(key, key)] = text
    if options.get("AWS_ENDPOINT_URL", "").startswith("http://"):
        options.setdefault("AWS_ALLOW_HTTP", "true")
    return options


class DeltaTableDataSet(AbstractDataSet):
    """A pandas DataFrame in a Delta Lake table (a folder, locally or on S3).

    Every save is one Delta commit, so readers see the old table or the new one, never a
    mix; the table's version (read from its log, not its data) is the signature the staleness
    engine compares, so a commit made outside Aether rebuilds what depends on the table.

    Args:
        filepath: The table's folder: a local path (relative to the project in catalog.yml)
            or a URL such as `s3://lake/events`.
        credentials: For object storage, `{key, secret, endpoint_url, region, token}` (see
            `delta_storage_options`); never shown by `describe()`.
        load_args: `version` (time travel: read that table version) and `columns`.
        save_args: `mode` (`overwrite`, the default, `append` or `error`), `partition_by`
            (a list of columns), and any other keyword argument of `write_deltalake`.
        metadata: Free-form information about the dataset, kept as `metadata`.

    Attributes:
        metadata: Free-form information about the dataset, from the constructor.

    Raises:
        CatalogError: deltalake is not installed, `filepath` is empty, or an argument is
            not one of those above.

    Example:
        ```yaml
        events:
          type: DeltaTableDataSet
          filepath: data/03_primary/events
          save_args: {mode: overwrite, partition_by: [day]}
        ```
    """

    def __init__(
        self,
        filepath: str,
        credentials: dict[str, Any] | None = None,
        load_args: dict[str, Any] | None = None,
        save_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        require("deltalake", "delta", "DeltaTableDataSet")
        if not isinstance(filepath, str) or not filepath:
            raise CatalogError(
                f"DeltaTableDataSet needs a non-empty 'filepath', got {filepath!r}",
                hint="set `filepath:` to the table's folder, e.g. data/03_primary/events",
            )
        protocol, path = resolve_filepath(filepath)
        self._protocol = protocol
        self._uri = path if protocol == "file" else f"{protocol}://{path}"
        self._load_args = _checked_load_args(dict(load_args or {}))
        self._save_args = {"mode": "overwrite", **(save_args or {})}
        if self._save_args["mode"] not in _MODES:
            raise CatalogError(
                f"DeltaTableDataSet save_args.mode must be one of {', '.join(_MODES)}, "
                f"got {self._save_args['mode']!r}",
                hint="set `save_args: {mode: overwrite}` (or append, or error)",
            )
        self._storage_options = delta_storage_options(dict(credentials or {}))
        self.metadata = dict(metadata or {})

    @property
    def location(self) -> str:
        """The table's location for messages and display: any password in a URL masked."""
        return redact_url(self._uri)

    def signature(self) -> dict[str, Any] | None:
        """`{"version": N}`: the table's current version (or the pinned `load_args.version`).

        Read from the transaction log only. None when there is no table.
        """
        if "version" in self._load_args:
            return {"version": self._load_args["version"]} if self._exists() else None
        table = self._table()
        return None if table is None else {"version": table.version()}

    def _load(self) -> Any:
        version = self._load_args.get("version")
        table = self._table(version=version)
        if table is None:
            raise DataSetError(
                f"Dataset '{self.name}' (DeltaTableDataSet) has no Delta table at {self.location}",
                hint="is it produced by a node that has not run yet? `aether status` shows "
                "what is missing; otherwise fix `filepath:` in the catalog",
            )
        with self._errors("load"):
            return table.to_pandas(columns=self._load_args.get("columns"))

    def _save(self, data: Any) -> None:
        import pandas as pd

        if not isinstance(data, pd.DataFrame):
            raise DataSetError(
                f"Dataset '{self.name}' (DeltaTableDataSet) can only save a pandas DataFrame, "
                f"but got {type(data).__module__}.{type(data).__qualname__}",
                hint="return a pandas.DataFrame from the node that produces it",
            )
        import pyarrow as pa
        from deltalake import write_deltalake

        if any(name is not None for name in data.index.names):
            data = data.reset_index()  # a named index (a groupby key) is data: keep it
        arrow = pa.Table.from_pandas(data, preserve_index=False)
        arguments = dict(self._save_args)
        if arguments["mode"] == "append" and self.write_key:
            if self._appended_already():
                logger.warning(
                    "%s: these rows were appended by an interrupted run already; not again",
                    self.name,
                )
                return
            arguments["commit_properties"] = _append_marker(self._append_id())
        with self._errors("save"):
            write_deltalake(
                self._uri, arrow, storage_options=self._storage_options or None, **arguments
            )

    def _append_id(self) -> str:
        """The Delta application id of this entry's append for this node fingerprint."""
        return f"aether-{self.owner}-{(self.write_key or '')[-32:]}"

    def _appended_already(self) -> bool:
        """Whether a commit of this very append is in the log (a run killed after it)."""
        table = self._table()
        if table is None:
            return False
        with self._errors("read"):
            return table.transaction_version(self._append_id()) is not None

    def _exists(self) -> bool:
        from deltalake import DeltaTable

        with self._errors("look up"):
            return bool(
                DeltaTable.is_deltatable(self._uri, storage_options=self._storage_options or None)
            )

    def _describe(self) -> dict[str, Any]:
        return {
            "filepath": self.location,
            "load_args": dict(self._load_args),
            "save_args": dict(self._save_args),
        }

    def _table(self, *, version: int | None = None) -> DeltaTable | None:
        """The DeltaTable, or None when there is no table at the location."""
        from deltalake import DeltaTable
        from deltalake.exceptions import TableNotFoundError

        with self._errors("read"):
            try:
                return DeltaTable(
                    self._uri,
                    version=version,
                    storage_options=self._storage_options or None,
                )
            except TableNotFoundError:
                return None

    def _errors(self, verb: str) -> contextlib.AbstractContextManager[None]:
        if self._protocol == "file":
            return contextlib.nullcontext()  # the base class names the dataset and path
        endpoint = endpoint_of(
            self._protocol, {"endpoint_url": self._storage_options.get("AWS_ENDPOINT_URL")}
        )
        return reported_remote_errors(
            self.name, self.location, endpoint, verb, missing_passes=False
        )


def _append_marker(app_id: str) -> CommitProperties:
    """Commit properties carrying Delta's application transaction ``app_id``: the log then
    says this append happened, and a retry of the same write skips it (exactly once)."""
    from deltalake import CommitProperties, Transaction

    return CommitProperties(app_transactions=[Transaction(app_id, 1)])


def _checked_load_args(load_args: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(load_args) - set(_LOAD_KEYS))
    if unknown:
        raise CatalogError(
            f"DeltaTableDataSet does not know load_args {', '.join(unknown)}",
            hint=f"use only {', '.join(_LOAD_KEYS)}, e.g. `load_args: {{version: 3}}`",
        )
    version = load_args.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise CatalogError(
            f"DeltaTableDataSet load_args.version must be a table version (an integer), "
            f"got {version!r}",
            hint="e.g. `load_args: {version: 3}`; `aether catalog describe` shows the table",
        )
    return load_args
