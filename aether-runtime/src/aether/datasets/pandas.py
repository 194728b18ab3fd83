"""pandas DataFrames stored as CSV, Parquet or JSON files, locally or through fsspec.

pandas is imported inside methods only, so importing this module (or the catalog) costs
nothing until a frame is actually read or written.
"""

from __future__ import annotations

import logging
import os
from typing import IO, Any

from aether.datasets.files import AbstractFileDataSet
from aether.errors import DataSetError

logger = logging.getLogger("aether.datasets")

# Suffix -> pandas compression. Needed because the save goes to a temporary name
# (".orders.csv.gz.tmp-1a2b") from which pandas would infer "no compression".
_COMPRESSION_BY_SUFFIX = {".gz": "gzip", ".bz2": "bz2", ".zip": "zip", ".xz": "xz", ".zst": "zstd"}


class _PandasFileDataSet(AbstractFileDataSet):
    """Shared checks for the pandas file datasets."""

    def _validate(self, data: Any) -> None:
        import pandas as pd

        if not isinstance(data, pd.DataFrame):
            raise DataSetError(
                f"Dataset '{self.name}' ({type(self).__name__}) can only save a pandas "
                f"DataFrame, but got {type(data).__module__}.{type(data).__qualname__}",
                hint="return a pandas.DataFrame from the node that produces it (a Series: "
                "`.to_frame()`), or give the dataset another type such as PickleDataSet",
            )

    def _compression(self, args: dict[str, Any]) -> Any:
        """The compression to pass explicitly: the user's, else the one the suffix implies."""
        given = args.get("compression", "infer")
        if given != "infer":
            return given
        stem, suffix = os.path.splitext(self._path)
        method = _COMPRESSION_BY_SUFFIX.get(suffix.lower())
        if method == "zip":
            # Name the archive member after the real file, not the temporary one.
            return {"method": "zip", "archive_name": os.path.basename(stem)}
        return method


class PandasCsvDataSet(_PandasFileDataSet):
    """A DataFrame in a CSV file, written without the index unless ``save_args`` say so.

    ``load_args`` go to ``pandas.read_csv``, ``save_args`` to ``DataFrame.to_csv``.
    A ``.gz``/``.bz2``/``.zip``/``.xz``/``.zst`` suffix compresses the file.

    .. code-block:: yaml

        raw_orders:
          type: PandasCsvDataSet
          filepath: data/01_raw/orders.csv
          load_args: {parse_dates: [ordered_at]}
          save_args: {sep: ";"}
    """

    DEFAULT_SAVE_ARGS: dict[str, Any] = {"index": False}

    def _read(self, source: str | IO[bytes]) -> Any:
        import pandas as pd

        args = {**self._load_args, "compression": self._compression(self._load_args)}
        return pd.read_csv(source, **args)

    def _write(self, data: Any, target: str | IO[bytes]) -> None:
        if not self._save_args.get("index") and _has_named_index(data):
            # Dropping a meaningful index (a groupby key) silently loses data; say so.
            logger.warning(
                "dataset '%s': index %s is not written to CSV; call reset_index() in the "
                "node or set `save_args: {index: true}`",
                self.name,
                list(data.index.names),
            )
        args = {**self._save_args, "compression": self._compression(self._save_args)}
        data.to_csv(target, **args)


class PandasParquetDataSet(_PandasFileDataSet):
    """A DataFrame in a Parquet file, through pyarrow.

    An unnamed index (the usual 0..n-1, or what filtering left of it) is not stored; a named
    index or a MultiIndex (e.g. after a groupby) is, so it comes back on load. Set
    ``save_args: {index: ...}`` to decide yourself. ``load_args`` go to
    ``pandas.read_parquet`` (e.g. ``columns``), ``save_args`` to ``DataFrame.to_parquet``
    (e.g. ``compression: zstd``).

    .. code-block:: yaml

        clean_orders:
          type: PandasParquetDataSet
          filepath: data/02_intermediate/clean_orders.parquet
          load_args: {columns: [order_id, amount]}
    """

    DEFAULT_LOAD_ARGS: dict[str, Any] = {"engine": "pyarrow"}
    DEFAULT_SAVE_ARGS: dict[str, Any] = {"engine": "pyarrow"}

    def _read(self, source: str | IO[bytes]) -> Any:
        import pandas as pd

        return pd.read_parquet(source, **self._load_args)

    def _write(self, data: Any, target: str | IO[bytes]) -> None:
        args = dict(self._save_args)
        args.setdefault("index", _has_named_index(data))
        data.to_parquet(target, **args)


class PandasJsonDataSet(_PandasFileDataSet):
    """A DataFrame in a JSON file: by default a list of records with ISO dates.

    ``save_args`` go to ``DataFrame.to_json`` (default ``orient: records``, ``date_format:
    iso``), ``load_args`` to ``pandas.read_json``; loading uses the same ``orient`` and
    ``lines`` as saving unless ``load_args`` say otherwise. For JSON Lines (one record per
    line, appendable and streamable) set ``save_args: {lines: true}``.

    .. code-block:: yaml

        daily_revenue:
          type: PandasJsonDataSet
          filepath: data/03_reporting/daily_revenue.jsonl
          save_args: {lines: true}
          load_args: {convert_dates: [day]}
    """

    DEFAULT_SAVE_ARGS: dict[str, Any] = {"orient": "records", "date_format": "iso"}

    def _read(self, source: str | IO[bytes]) -> Any:
        import pandas as pd

        # What was saved with orient X (or as lines) must be read the same way.
        saved_as = {k: v for k, v in self._save_args.items() if k in ("orient", "lines")}
        args: dict[str, Any] = {**saved_as, **self._load_args}
        args["compression"] = self._compression(args)
        return pd.read_json(source, **args)

    def _write(self, data: Any, target: str | IO[bytes]) -> None:
        args = {**self._save_args, "compression": self._compression(self._save_args)}
        data.to_json(target, **args)


def _has_named_index(frame: Any) -> bool:
    return any(name is not None for name in frame.index.names)
