"""Importing Aether stays light: each probe runs in a fresh interpreter, because this test
process has long imported pandas and everything else."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import aether

HEAVY_MODULES = ("pandas", "pyarrow", "numpy", "fsspec", "typer", "click", "rich", "yaml")


def _modules_after(code: str) -> set[str]:
    """The top-level packages a fresh interpreter has imported after running ``code``."""
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    return {name.split(".")[0] for name in json.loads(out)}


def test_import_aether_pulls_in_nothing_heavy() -> None:
    loaded = _modules_after("import aether")

    assert loaded.isdisjoint(HEAVY_MODULES), sorted(loaded & set(HEAVY_MODULES))


def test_core_classes_load_without_pandas_or_pyarrow() -> None:
    loaded = _modules_after(
        "from aether import DataCatalog, Pipeline, node, AbstractTransformation, AbstractDataSet"
    )

    assert loaded.isdisjoint({"pandas", "pyarrow", "fsspec"})


def test_the_state_store_fingerprints_checks_and_lock_import_no_pandas() -> None:
    loaded = _modules_after(
        "import aether.state, aether.assets.fingerprint, aether.checks, aether.state.lock"
    )

    assert loaded.isdisjoint({"pandas", "numpy", "pyarrow"})


_DATASETS_PROBE = """
import importlib, sys
import aether.datasets
light = ('pandas' in sys.modules, 'fsspec' in sys.modules)
# What the catalog does for every entry: resolve the type, build the dataset.
for dotted in aether.datasets.BUILTIN_DATASETS.values():
    module, _, name = dotted.rpartition('.')
    getattr(importlib.import_module(module), name)
aether.datasets.PandasCsvDataSet('/tmp/orders.csv').exists()
print(*light, 'pandas' in sys.modules, 'fsspec' in sys.modules)
"""


def test_importing_the_package_and_building_local_datasets_imports_no_pandas_nor_fsspec() -> None:
    source_root = Path(aether.__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(source_root), *sys.path])}
    result = subprocess.run(
        [sys.executable, "-c", _DATASETS_PROBE], capture_output=True, text=True, env=env, check=True
    )

    assert result.stdout.split() == ["False"] * 4


def test_local_file_datasets_import_no_http_stack() -> None:
    # urllib.request brings http.client, ssl and email: ~20 ms of every `aether status`
    # and `aether run` that reads only local files.
    loaded = _modules_after(
        "import aether.datasets.files, aether.datasets.pandas, aether.catalog\n"
        "aether.datasets.PandasCsvDataSet('/tmp/orders.csv').exists()"
    )

    assert loaded.isdisjoint({"http", "ssl", "email"}), sorted(loaded & {"http", "ssl", "email"})


def test_a_shared_postgresql_store_and_its_lock_work_without_sqlalchemy(
    postgres_url: str,
) -> None:
    # psycopg directly: SQLAlchemy's import was most of every look at a shared store.
    code = f"""
from aether.state.advisory_lock import AdvisoryLock
from aether.state.postgres import PostgresStateStore
with PostgresStateStore({postgres_url!r}, "light") as store:
    store.heads()
with AdvisoryLock({postgres_url!r}, "light", "run-1"):
    pass
"""
    loaded = _modules_after(code)

    assert "psycopg" in loaded
    assert "sqlalchemy" not in loaded
