"""Plain Python objects (dicts, lists, numbers, strings) in a JSON file."""

from __future__ import annotations

import io
import json
from typing import IO, Any

from aether.datasets.files import AbstractFileDataSet, binary_stream


class JsonDataSet(AbstractFileDataSet):
    """JSON-serialisable Python objects in a UTF-8 ``.json`` file.

    ``save_args`` go to ``json.dump`` (default ``indent: 2``, ``sort_keys: false``),
    ``load_args`` to ``json.load``. For DataFrames use PandasJsonDataSet.

    .. code-block:: yaml

        run_summary:
          type: JsonDataSet
          filepath: data/08_reporting/run_summary.json
          save_args: {sort_keys: true}
    """

    DEFAULT_SAVE_ARGS: dict[str, Any] = {"indent": 2, "sort_keys": False}

    def _read(self, source: str | IO[bytes]) -> Any:
        with binary_stream(source, "rb") as file:
            return json.load(file, **self._load_args)  # json.load accepts UTF-8 bytes

    def _write(self, data: Any, target: str | IO[bytes]) -> None:
        with binary_stream(target, "wb") as file:
            # The wrapper must not close a file we were handed open; detach() leaves it be.
            text = io.TextIOWrapper(file, encoding="utf-8", newline="\n")
            try:
                json.dump(data, text, **self._save_args)
                text.write("\n")
                text.flush()
            finally:
                text.detach()
