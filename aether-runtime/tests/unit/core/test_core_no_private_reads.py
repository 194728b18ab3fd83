"""No module reads another object's private attributes: an object's underscored names are
its own (``self``/``cls``); what others need, it offers publicly (a catalog exports its
recipe, a pool is reached through public API). A read of ``x._name`` (or
``getattr(x, "_name")``, or ``from module import _name``) anywhere else in the runtime fails
here, unless allowed below with its reason."""

from __future__ import annotations

import ast
from pathlib import Path

import aether

RUNTIME = Path(aether.__file__).parent

# (module, expression): why it is not a read of another object's private state.
ALLOWED = {
    ("cli/entry.py", "os._exit"): "the standard library's way to leave without cleanup",
    ("engine/execution.py", "os._exit"): "a forked child leaves at once (see _call_here)",
    ("engine/runners.py", "os._exit"): "a worker whose parent died leaves at once",
    ("datasets/api_pages.py", "parts._replace"): "namedtuple's public API is underscored",
    ("datasets/sql_query.py", "super()._describe"): "the dataset contract's own hook",
    ("datasets/sql_table.py", "super()._describe"): "the dataset contract's own hook",
    ("datasets/http_client.py", "made._create_connection"): (
        "http.client's documented hook to connect through a vetted socket"
    ),
    ("engine/publication.py", "catalog.get(name)._remove_abandoned_stages"): (
        "the dataset contract's hook (AbstractDataSet), called by the engine as load/save are"
    ),
}


def _private_reads(source: str) -> list[str]:
    found = []
    for item in ast.walk(ast.parse(source)):
        if isinstance(item, ast.Attribute):
            name, owner = item.attr, item.value
        elif isinstance(item, ast.ImportFrom):
            found.extend(
                f"{'.' * item.level}{item.module or ''}.{alias.name}"
                for alias in item.names
                if alias.name.startswith("_") and not alias.name.startswith("__")
            )
            continue
        elif (
            isinstance(item, ast.Call)
            and isinstance(item.func, ast.Name)
            and item.func.id in ("getattr", "hasattr", "setattr", "delattr")
            and len(item.args) >= 2
            and isinstance(item.args[1], ast.Constant)
            and isinstance(item.args[1].value, str)
        ):
            name, owner = item.args[1].value, item.args[0]
        else:
            continue
        if not name.startswith("_") or name.startswith("__"):
            continue
        if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
            continue
        found.append(f"{ast.unparse(owner)}.{name}")
    return found


def _runtime_reads() -> set[tuple[str, str]]:
    return {
        (path.relative_to(RUNTIME).as_posix(), expression)
        for path in sorted(RUNTIME.rglob("*.py"))
        for expression in _private_reads(path.read_text(encoding="utf-8"))
    }


def test_no_module_reads_another_objects_private_attributes() -> None:
    reads = _runtime_reads()

    assert sorted(reads - set(ALLOWED)) == []


def test_every_allowance_is_still_needed() -> None:
    reads = _runtime_reads()

    assert sorted(set(ALLOWED) - reads) == []


def test_the_scan_sees_attribute_reads_and_getattr() -> None:
    source = (
        "def f(catalog, pool):\n"
        "    self._own = catalog.factory._types\n"
        "    return getattr(pool, '_processes', None), catalog.public, pool.__dict__\n"
    )

    assert _private_reads(source) == ["catalog.factory._types", "pool._processes"]


def test_the_scan_sees_a_private_name_imported_from_another_module() -> None:
    source = (
        "from aether.catalog.factory import _accepted_arguments\n"
        "from aether._version import __version__\n"
        "from aether.errors import CatalogError\n"
    )

    assert _private_reads(source) == ["aether.catalog.factory._accepted_arguments"]
