"""Any picklable Python object in a file."""

from __future__ import annotations

import pickle
from typing import IO, Any

from aether.datasets.files import AbstractFileDataSet, binary_stream


class PickleDataSet(AbstractFileDataSet):
    """Any picklable object (a model, a dict of frames...) in a pickle file.

    ``save_args`` go to ``pickle.dump`` (e.g. ``protocol``), ``load_args`` to ``pickle.load``.
    Loading a pickle runs code chosen by whoever wrote it: only point this at files your own
    pipeline produced.

    .. code-block:: yaml

        churn_model:
          type: PickleDataSet
          filepath: data/06_models/churn_model.pkl
          save_args: {protocol: 5}
    """

    def _read(self, source: str | IO[bytes]) -> Any:
        with binary_stream(source, "rb") as file:
            return pickle.load(file, **self._load_args)

    def _write(self, data: Any, target: str | IO[bytes]) -> None:
        with binary_stream(target, "wb") as file:
            pickle.dump(data, file, **self._save_args)
