"""What runs is what was hashed: a run's project modules are compiled from the bytes hashed.

Python's default bytecode cache trusts a ``.pyc`` whose recorded source size and mtime
second match the ``.py``: an edit that keeps both (within one second, ``cp -p``,
``rsync -t``) runs the old code. And a file read twice (once to hash, once to import) can
change in between. So, for the length of a run (:func:`reading_project`):

- every project file is read once; :func:`source_bytes` hands the code hash and the importer
  those same bytes;
- modules whose files lie under the project root (not a virtualenv inside it) are compiled
  from those bytes by :class:`_HashedSourceLoader`; its cache is a *checked-hash* ``.pyc``
  (PEP 552), keyed on the bytes, never on a timestamp;
- project modules already imported (by the user, or by an earlier run in this process) from
  other bytes than the file holds now are dropped from ``sys.modules``, so they are
  imported again from the bytes read;
- worker processes of the parallel runner adopt the parent's bytes (:func:`snapshot`,
  :func:`adopt`): they run what the parent hashed, even if the file changed since.

Only the standard library is imported here; what compiling needs, when a run first compiles.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.machinery import PathFinder, SourceFileLoader
from pathlib import Path
from types import CodeType
from typing import Any

_root: str | None = None  # the project root of the run in progress (realpath)
_held: dict[str, bytes] | None = None  # realpath -> the bytes this run read
# module name -> (realpath, bytes) it was compiled from by this module's loader
_compiled: dict[str, tuple[str, bytes]] = {}
_finder: Any = None
# sys.path / package __path__ entry -> inside the root? Every import during a run asks (pandas
# alone imports ~500 submodules), and resolving the entry each time was 5 % of a small run.
_inside_entries: dict[str, bool] = {}

# A PEP 552 flags word: hash-based (bit 0) and checked against the source (bit 1), so
# Python's own importer, finding this file later, also checks it against the source.
_CHECKED_HASH_FLAGS = (0b11).to_bytes(4, "little")


@contextmanager
def reading_project(root: Path) -> Iterator[None]:
    """Within it, project files are read once and project modules compiled from those bytes.

    Nested use (a run inside a run's steps) keeps the outer snapshot.
    """
    if _held is not None:
        yield
        return
    _start(os.path.realpath(root), {}, spelled=os.path.abspath(root))
    try:
        yield
    finally:
        _stop()


def snapshot() -> tuple[str, dict[str, bytes]] | None:
    """The run's root and the bytes read so far, for a worker process (see :func:`adopt`)."""
    if _root is None or _held is None:
        return None
    return _root, dict(_held)


def adopt(snapshot_: tuple[str, dict[str, bytes]] | None) -> None:
    """In a worker: use the parent's bytes (a worker lives only as long as the run)."""
    if snapshot_ is not None:
        _start(snapshot_[0], dict(snapshot_[1]))


def source_bytes(path: Path) -> bytes | None:
    """The bytes of a project file as this run read them (read now if not yet read); None
    outside a run or for a file outside the project. Raises OSError when unreadable."""
    if _held is None or _root is None:
        return None
    real = os.path.realpath(path)
    if not _is_project(real):
        return None
    data = _held.get(real)
    if data is None:
        with open(real, "rb") as file:
            data = _held[real] = file.read()
    return data


def _start(root: str, held: dict[str, bytes], spelled: str | None = None) -> None:
    global _root, _held, _finder
    _root, _held = root, held
    _inside_entries.clear()
    if _finder is None:
        _finder = _ProjectFinder()
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    _forget_stale_modules({root, spelled or root})


def _stop() -> None:
    global _root, _held
    _root, _held = None, None
    _inside_entries.clear()
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)


def _inside(entry: str) -> bool:
    assert _root is not None
    known = _inside_entries.get(entry)
    if known is None:
        real = os.path.realpath(entry)
        known = real == _root or real.startswith(_root + os.sep)
        if os.path.isabs(entry):  # a relative one ("" is the working folder) may move
            _inside_entries[entry] = known
    return known


def _is_project(real: str) -> bool:
    """Under the run's project root, and not installed code (a virtualenv inside it)."""
    assert _root is not None
    if not real.startswith(_root + os.sep):
        return False
    # Installed code inside the project (a folder *below* the root named so), whatever the
    # root itself is called.
    if _INSTALLED & set(real[len(_root) + 1 :].split(os.sep)):
        return False
    return not any(
        real.startswith(prefix + os.sep) for prefix in _PREFIXES if prefix.startswith(_root)
    )


_INSTALLED = {"site-packages", "dist-packages"}
_PREFIXES = tuple({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})


def _forget_stale_modules(roots: set[str]) -> None:
    """Drop every imported project module when one of them was not compiled from the bytes
    its file holds now: a module holds functions of the modules it imported, so one stale
    module can hide in any of them, and importing them all again is what a new process
    would do."""
    project: list[str] = []
    stale = False
    prefixes = tuple(root + os.sep for root in roots)
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        # Resolving every module's path costs 15 ms with pandas loaded: project modules are
        # found under the root as given or as resolved (how sys.path spells it).
        if name == "__main__" or not isinstance(file, str) or not file.startswith(prefixes):
            continue
        real = os.path.realpath(file)
        if not _is_project(real) or not real.endswith(".py"):  # compiled extensions: not ours
            continue
        project.append(name)
        try:
            data = source_bytes(Path(real))
        except OSError:
            stale = True
            continue
        if data is None:
            continue
        recorded = _compiled.get(name)
        if recorded is None and _defined_as_in(module, real, data):
            # Imported before any run (by you, or Python's importer): its code is what the
            # file holds now, so keep it: a function of it you hold stays the module's own
            # (pickling one for a worker looks it up in sys.modules).
            recorded = _compiled[name] = (real, data)
        stale = stale or recorded != (real, data)
    if stale:
        for name in project:
            sys.modules.pop(name, None)
            _compiled.pop(name, None)
    _forget_other_projects_modules(prefixes)


def _forget_other_projects_modules(prefixes: tuple[str, ...]) -> None:
    """Drop modules named as this project's own but imported from another project (two
    projects with one package name in one notebook, or one test process): importing the
    name again finds this project's, as a new process would. Installed code is kept."""
    own: set[str] = set()
    for entry in filter(None, sys.path):
        if not (os.path.isabs(entry) and entry.startswith(prefixes) and os.path.isdir(entry)):
            continue
        if not _is_project(os.path.realpath(entry)):  # a virtualenv inside the project
            continue
        own.update(name.removesuffix(".py") for name in os.listdir(entry))
    own.discard("aether")  # the runtime itself is never another project's
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if name.partition(".")[0] not in own or not isinstance(file, str):
            continue
        if file.startswith(prefixes) or os.path.realpath(file).startswith(_PREFIXES):
            continue
        sys.modules.pop(name, None)
        _compiled.pop(name, None)


class _ProjectFinder:
    """Finds project modules as Python would, then loads them with the loader below."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if _root is None:
            return None
        if path is not None and not any(isinstance(p, str) and _inside(p) for p in path):
            return None  # a submodule of a package outside the project: not ours
        spec = PathFinder.find_spec(fullname, path, target)
        if spec is None or type(spec.loader) is not SourceFileLoader or not spec.origin:
            return None
        if not _is_project(os.path.realpath(spec.origin)):
            return None
        spec.loader = _HashedSourceLoader(fullname, spec.origin)
        return spec

    def invalidate_caches(self) -> None:
        """Nothing cached here (``importlib.invalidate_caches`` calls every finder's)."""


class _HashedSourceLoader(SourceFileLoader):
    """Compiles a project module from the bytes the run read, with a checked-hash cache."""

    def get_code(self, fullname: str) -> Any:
        real = os.path.realpath(self.path)
        data = source_bytes(Path(real))
        if data is None:  # the run ended meanwhile: read it now, still never a timestamp
            with open(real, "rb") as file:
                data = file.read()
        _compiled[fullname] = (real, data)
        return self._compile(data)

    def _compile(self, data: bytes) -> Any:
        import marshal
        from importlib.util import MAGIC_NUMBER, cache_from_source, source_hash

        key = source_hash(data)
        try:
            cache: str | None = cache_from_source(self.path)
        except NotImplementedError:  # no cache tag (an unusual interpreter)
            cache = None
        if cache is not None:
            try:
                with open(cache, "rb") as file:
                    pyc = file.read()
                header = MAGIC_NUMBER + _CHECKED_HASH_FLAGS + key
                if pyc[:16] == header:
                    return marshal.loads(pyc[16:])
            except (OSError, ValueError, EOFError, TypeError):
                pass  # no usable cache: compile
        code = compile(data, self.path, "exec", dont_inherit=True)
        if cache is not None and not sys.dont_write_bytecode:
            # Atomic (a temporary file renamed), and silent where the tree is read-only.
            self.set_data(cache, MAGIC_NUMBER + _CHECKED_HASH_FLAGS + key + marshal.dumps(code))
        return code


def imported_elsewhere(func: Any) -> str | None:
    """The file of a function given as an object (the Python API) when its code is not what
    the bytes this run read compile to: it was imported before from an older version of its
    file. None when it matches, or is not project code, or outside a run."""
    func = getattr(func, "func", func)  # functools.partial
    func = getattr(func, "__func__", func)  # a bound method (a transformation's run)
    code = getattr(func, "__code__", None)
    if not isinstance(code, CodeType):
        return None
    try:
        data = source_bytes(Path(code.co_filename))
        if data is None:
            return None
        compiled = compile(data, code.co_filename, "exec", dont_inherit=True)
    except (OSError, SyntaxError, ValueError):
        return code.co_filename
    # Compared without line numbers: a line added above the function does not change it.
    return None if _shape(code) in set(map(_shape, _codes(compiled))) else code.co_filename


def _codes(code: CodeType) -> Iterator[CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from _codes(const)


def _shape(code: CodeType) -> tuple[Any, ...]:
    consts = tuple(
        _shape(c) if isinstance(c, CodeType) else (type(c).__name__, repr(c))
        for c in code.co_consts
    )
    return (
        code.co_name,
        code.co_code,
        code.co_names,
        code.co_varnames,
        code.co_freevars,
        code.co_argcount,
        code.co_kwonlyargcount,
        code.co_flags,
        consts,
    )


def _defined_as_in(module: Any, real: str, data: bytes) -> bool:
    """Every function and method ``module`` defines has the code ``data`` compiles to
    (compared without line numbers)."""
    try:
        shapes = set(map(_shape, _codes(compile(data, real, "exec", dont_inherit=True))))
    except (SyntaxError, ValueError):
        return False
    name = module.__name__
    for value in list(vars(module).values()):
        members = list(vars(value).values()) if isinstance(value, type) else [value]
        for member in members:
            member = getattr(member, "__func__", member)  # staticmethod, classmethod
            while hasattr(member, "__wrapped__"):  # a decorator's wrapper: the function
                member = member.__wrapped__
            code = getattr(member, "__code__", None)
            if code is None or getattr(member, "__module__", None) != name:
                continue
            if os.path.realpath(code.co_filename) == real and _shape(code) not in shapes:
                return False
    return True
