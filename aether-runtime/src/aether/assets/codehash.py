"""Code hashes: the normalized source of a transformation plus the project code it uses.

Comments, docstrings and whitespace do not count, so reformatting changes nothing; a change
in logic, or in a project-local helper it calls, changes the hash. So does a change to any
other top-level statement of a module whose code it uses (``LOOKUP["b"] = 2``, a loop, a
``raise``): those run at import and change what the code sees. Found either through the
live module (:func:`code_hash`, for runs) or by reading files only
(:func:`code_hash_from_source`, :func:`code_hash_from_dotted`, for ``aether status``, which
must not import user code). Both give the same hash for the same code.
"""

from __future__ import annotations

import ast
import copy
import functools
import hashlib
import inspect
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from aether.project import sources as project_sources


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(value: Any) -> bytes:
    """Stable JSON: sorted keys, no spaces; sets sorted, anything else by ``repr``."""

    def fallback(obj: Any) -> Any:
        if isinstance(obj, (set, frozenset)):
            return sorted(obj, key=repr)
        if hasattr(obj, "isoformat"):
            return obj.isoformat()
        return repr(obj)

    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=fallback)
    return text.encode()


# --------------------------------------------------------------------------- source parsing


@dataclass(frozen=True)
class _Import:
    module: str  # as written, without the leading dots
    name: str | None  # None for ``import a.b``
    level: int


@dataclass(frozen=True)
class _Unit:
    """One hashable piece of code: a function, class or module-level assignment."""

    qualname: str
    dump: str
    names: tuple[tuple[str, ...], ...]  # referenced names and attribute chains
    # Imports inside a function or class body (``def f(): from .helpers import clean``): the
    # names they bind are followed like module-level ones, but only from this unit.
    local_imports: tuple[tuple[str, _Import], ...] = ()

    def local_import(self, name: str) -> _Import | None:
        return next((imp for bound, imp in self.local_imports if bound == name), None)


# The unit holding a module's other top-level statements; not a valid identifier, so no clash.
MODULE_BODY = "<module>"


@dataclass
class _ModuleSource:
    units: dict[str, _Unit] = field(default_factory=dict)
    imports: dict[str, _Import] = field(default_factory=dict)
    stars: list[_Import] = field(default_factory=list)  # ``from x import *``, in file order


# path -> (what it was parsed from: a signature, or during a run the bytes read, parsed source)
_CACHE: dict[Path, tuple[tuple[int, ...] | bytes, _ModuleSource]] = {}
parse_count = 0  # how many files were actually parsed (the cache's effect, for tests)


def parsed_files() -> list[Path]:
    """Every file a code hash of this process read: what its hashes depend on."""
    return list(_CACHE)


def _module_source(path: Path) -> _ModuleSource | None:
    """The parsed file, cached by signature (size, mtime, ctime, inode); None when it cannot
    be read or parsed. During a run, the bytes the run read (and compiles its modules from):
    what is hashed is what runs."""
    global parse_count
    try:
        held = project_sources.source_bytes(path)
        if held is None:
            stat = path.stat()
            # The ctime too: an edit that keeps the size and sets the mtime back still moves it.
            key: tuple[int, ...] | bytes = (
                stat.st_size,
                stat.st_mtime_ns,
                stat.st_ctime_ns,
                stat.st_ino,
            )
        else:
            key = held
        cached = _CACHE.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        tree = ast.parse(path.read_bytes() if held is None else held, filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return None
    parse_count += 1
    source = _ModuleSource()
    body: list[ast.stmt] = []
    _collect(tree.body, "", source, body)
    if body:
        # Statements that run at import and shape what the code sees (``LOOKUP["b"] = 2``,
        # loops, ``raise``): one unit, included with any unit of this module.
        source.units[MODULE_BODY] = _unit(MODULE_BODY, ast.Module(body=body, type_ignores=[]))
    _CACHE[path] = (key, source)
    return source


def _collect(
    body: list[ast.stmt], prefix: str, source: _ModuleSource, rest: list[ast.stmt] | None
) -> None:
    """Units and imports of ``body``; its other statements go to ``rest`` (None: nested in a
    block already in the module body, or in a class)."""
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            source.units[prefix + stmt.name] = _unit(prefix + stmt.name, stmt)
            if isinstance(stmt, ast.ClassDef):
                _collect(stmt.body, f"{prefix}{stmt.name}.", source, None)
        elif prefix:
            continue
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            # Only a first, plain ``NAME = ...`` is all there is to that name; anything else
            # (``X += 1``, ``D["k"] = v``, ``A, B = ...``, a second ``X = ...``) is body too.
            plain = not isinstance(stmt, ast.AugAssign)
            for target in targets:
                plain = plain and isinstance(target, ast.Name)
                for name in _bound_names(target):
                    if name in source.units:
                        plain = False
                    else:
                        source.units[name] = _unit(name, stmt)
            if not plain and rest is not None:
                rest.append(stmt)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for bound, imp in _imports_of(stmt):
                if bound == "*":
                    source.stars.append(imp)
                else:
                    source.imports[bound] = imp
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # a docstring or a bare constant: does nothing
        else:
            # A block (if/try/for/while/with/match) or a statement (call, raise, del, ...).
            # Definitions, imports and names bound inside it are found like top-level ones;
            # the block itself, without the bodies of its functions and classes (units of
            # their own), counts in the module body.
            blocks = _blocks(stmt)
            for block in blocks:
                _collect(block, prefix, source, None)
            shown = _skeleton(stmt) if blocks else stmt
            for name in _bound_names(shown):  # ``for k in``, ``with ... as f``, ``except as e``
                if name not in source.units:
                    source.units[name] = _unit(name, shown)
            if rest is not None:
                rest.append(shown)


def _imports_of(stmt: ast.Import | ast.ImportFrom) -> list[tuple[str, _Import]]:
    """The names an import statement binds, each with what it imports (``*`` for a star)."""
    if isinstance(stmt, ast.Import):
        found = []
        for alias in stmt.names:
            bound = alias.asname or alias.name.split(".")[0]
            found.append((bound, _Import(alias.name if alias.asname else bound, None, 0)))
        return found
    return [
        (alias.asname or alias.name, _Import(stmt.module or "", alias.name, stmt.level))
        for alias in stmt.names
    ]


def _blocks(stmt: ast.stmt) -> list[list[ast.stmt]]:
    blocks = [getattr(stmt, name, []) for name in ("body", "orelse", "finalbody")]
    for part in (*getattr(stmt, "handlers", []), *getattr(stmt, "cases", [])):
        blocks.append(part.body)
    return [block for block in blocks if block]


def _bound_names(node: ast.AST) -> set[str]:
    """Names a statement or target binds (``for k in``, ``with .. as f``, ``A, B = ``)."""
    return {
        child.id
        for child in ast.walk(node)
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store)
    }


class _Skeleton(ast.NodeTransformer):
    """A block with each function and class reduced to its name: they are units already."""

    def _stub(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> ast.stmt:
        return ast.Expr(ast.Constant(f"def {node.name}"))

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _stub


def _skeleton(stmt: ast.stmt) -> ast.stmt:
    result: ast.stmt = _Skeleton().visit(copy.deepcopy(stmt))
    return result


def _unit(qualname: str, node: ast.AST) -> _Unit:
    node = _strip_docstrings(node)
    dump = ast.dump(node, annotate_fields=False, include_attributes=False)
    local: tuple[tuple[str, _Import], ...] = ()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        local = tuple(
            found
            for child in ast.walk(node)
            if isinstance(child, (ast.Import, ast.ImportFrom))
            for found in _imports_of(child)
        )
    return _Unit(qualname, dump, tuple(sorted(_referenced_names(node))), local)


def _strip_docstrings(node: ast.AST) -> ast.AST:
    # In place: each parsed tree is private to one _module_source call.
    for child in ast.walk(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = child.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                child.body = body[1:]
    return node


def _referenced_names(node: ast.AST) -> set[tuple[str, ...]]:
    chains: set[tuple[str, ...]] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            chains.add((child.id,))
        elif isinstance(child, ast.Attribute):
            parts: list[str] = []
            current: ast.expr = child
            while isinstance(current, ast.Attribute):
                parts.append(current.attr)
                current = current.value
            if isinstance(current, ast.Name):
                chains.add((current.id, *reversed(parts)))
    return chains


# --------------------------------------------------------------------------- resolution


@dataclass
class _Scope:
    """Which files count as project code, and how to find modules among them."""

    root: Path | None
    own_file: Path
    # file -> the project modules it star-imports, last first: looked up once per hash.
    star_targets: dict[Path, list[Path]] = field(default_factory=dict, repr=False)

    def is_project(self, path: Path) -> bool:
        if self.root is None:
            return path == self.own_file
        if not path.is_relative_to(self.root):
            return False
        # A virtualenv inside the project is not project code.
        if any(path.is_relative_to(p) for p in _PREFIXES if p.is_relative_to(self.root)):
            return False
        # Installed code below the root, whatever the root itself is called.
        return not {"site-packages", "dist-packages"} & set(path.relative_to(self.root).parts)

    def _source_roots(self) -> list[Path]:
        """Where project modules live: src/, the root, and any import path inside the
        project (a custom ``[tool.aether] source_dir`` is put on sys.path)."""
        assert self.root is not None
        roots = [self.root / "src", self.root]
        for entry in filter(None, sys.path):
            path = Path(entry)
            inside = path.is_absolute() and path.is_relative_to(self.root)
            if inside and path not in roots and self.is_project(path / "x.py"):
                roots.append(path)
        return roots

    def find_module(self, dotted: str, level: int = 0, importer: Path | None = None) -> Path | None:
        if level and importer is not None:
            if level > len(importer.parents):
                return None
            bases = [importer.parents[level - 1]]
        else:
            bases = self._source_roots() if self.root else [self.own_file.parent]
        parts = [p for p in dotted.split(".") if p]
        for base in bases:
            stem = base.joinpath(*parts)
            for candidate in (stem.with_suffix(".py"), stem / "__init__.py"):
                if parts and candidate.is_file() and self.is_project(candidate.resolve()):
                    return candidate.resolve()
            if not parts and (base / "__init__.py").is_file():
                return (base / "__init__.py").resolve()
        return None


_Key = tuple[Path, str]
_PREFIXES = tuple({Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})


def _resolve_static(
    scope: _Scope,
    file: Path,
    chain: tuple[str, ...],
    depth: int = 0,
    starred: frozenset[Path] = frozenset(),
) -> _Key | None:
    """Follow a name used in ``file`` to the project code defining it, reading files only."""
    source = _module_source(file)
    if source is None or depth > 20:
        return None
    name, rest = chain[0], chain[1:]
    if name in source.units:
        return (file, name)
    imp = source.imports.get(name)
    if imp is None:
        return _resolve_star(scope, file, source, chain, depth, starred)
    return _follow_import(scope, file, imp, rest, depth, starred)


def _follow_import(
    scope: _Scope,
    file: Path,
    imp: _Import,
    rest: tuple[str, ...],
    depth: int = 0,
    starred: frozenset[Path] = frozenset(),
) -> _Key | None:
    """Follow ``imp`` (made in ``file``), then the names after it, to project code."""
    if imp.name is not None:
        module_name = f"{imp.module}.{imp.name}" if imp.module else imp.name
        submodule = scope.find_module(module_name, imp.level, file)
        if submodule is None:
            target = scope.find_module(imp.module, imp.level, file)
            return (
                _resolve_static(scope, target, (imp.name, *rest), depth + 1, starred)
                if target
                else None
            )
        module_file: Path | None = submodule
        rest_names = rest
    else:
        module_file, rest_names = _descend(scope, imp.module, rest)
    if module_file is None or not rest_names:
        return None
    return _resolve_static(scope, module_file, rest_names, depth + 1, starred)


def _resolve_star(
    scope: _Scope,
    file: Path,
    source: _ModuleSource,
    chain: tuple[str, ...],
    depth: int,
    starred: frozenset[Path],
) -> _Key | None:
    """A name none of the file's own statements bind may come from ``from x import *``
    (the last one that has it wins, as at import). ``starred``: files already searched
    this way for this name, so star imports in a cycle end."""
    targets = scope.star_targets.get(file)
    if targets is None:
        found_modules = (scope.find_module(s.module, s.level, file) for s in reversed(source.stars))
        targets = scope.star_targets[file] = [t for t in found_modules if t is not None]
    starred = starred | {file}
    for target in targets:
        if target not in starred:
            found = _resolve_static(scope, target, chain, depth + 1, starred)
            if found is not None:
                return found
    return None


def _descend(
    scope: _Scope, module: str, rest: tuple[str, ...]
) -> tuple[Path | None, tuple[str, ...]]:
    """``import a`` then ``a.b.fn``: walk into submodules as far as files exist."""
    found = scope.find_module(module)
    while rest and (deeper := scope.find_module(f"{module}.{rest[0]}")) is not None:
        module, found, rest = f"{module}.{rest[0]}", deeper, rest[1:]
    return found, rest


def _resolve_live(
    scope: _Scope, file: Path, chain: tuple[str, ...], namespace: Mapping[str, Any] | None
) -> tuple[_Key, Mapping[str, Any] | None] | None:
    """Follow a name through the module's globals; data values fall back to the files."""
    if namespace is not None and chain[0] in namespace:
        value: Any = namespace[chain[0]]
        for attr in chain[1:]:
            if not isinstance(value, ModuleType):
                break
            value = getattr(value, attr, None)
        located = _locate_object(value)
        if located is not None:
            path, qualname, module = located
            if not scope.is_project(path):
                return None
            return (path, qualname), vars(module) if module else None
        if inspect.isfunction(value) or inspect.isclass(value) or isinstance(value, ModuleType):
            return None
    key = _resolve_static(scope, file, chain)
    return (key, None) if key else None


def _locate_object(value: Any) -> tuple[Path, str, ModuleType | None] | None:
    if not (inspect.isfunction(value) or inspect.isclass(value)):
        return None
    value = inspect.unwrap(value)
    try:
        path = inspect.getsourcefile(value)
    except TypeError:
        return None
    qualname = getattr(value, "__qualname__", "")
    if path is None or "<" in qualname:
        return None
    return Path(path).resolve(), qualname, sys.modules.get(value.__module__)


def _closure_hash(
    scope: _Scope, root: _Key, namespace: Mapping[str, Any] | None, live: bool
) -> str:
    """Hash the root unit plus every project unit it reaches, each once (cycle-safe)."""
    seen: dict[_Key, _Unit] = {}
    pending: list[tuple[_Key, Mapping[str, Any] | None]] = [(root, namespace)]
    while pending:
        key, names = pending.pop()
        if key in seen:
            continue
        source = _module_source(key[0])
        unit = source.units.get(key[1]) if source else None
        if unit is None:
            continue
        seen[key] = unit
        body = (key[0], MODULE_BODY)
        if body not in seen and source and MODULE_BODY in source.units:
            # What the module runs at import comes with any of its code (see _module_source).
            pending.append((body, names))
        for chain in unit.names:
            local = unit.local_import(chain[0])
            if local is not None:
                # A function's own import binds a local name, never in the module's globals:
                # followed through the files, in both variants alike.
                if (imported := _follow_import(scope, key[0], local, chain[1:])) is not None:
                    pending.append((imported, None))
            elif live:
                found = _resolve_live(scope, key[0], chain, names)
                if found is not None:
                    pending.append(found)
            elif (static := _resolve_static(scope, key[0], chain)) is not None:
                pending.append((static, None))
    root_unit = seen.pop(root)
    deps = sorted([u.qualname, u.dump] for u in seen.values())
    return sha256_digest(
        canonical_json({"code": [root_unit.qualname, root_unit.dump], "uses": deps})
    )


def _unavailable(dotted: str) -> str:
    return sha256_digest(f"unavailable:{dotted}".encode())


def code_hash(obj: Any, project_root: Path | None) -> str:
    """Hash of a function's or class's normalized source plus the project code it uses.

    Comments, docstrings and whitespace do not count. Functions, classes and module-level
    constants it references are followed through the defining module's globals and included
    when their file lies under ``project_root`` (not the standard library, not
    site-packages); with ``project_root=None`` only its own file counts. An instance is
    hashed by its class, a ``functools.partial`` by its function.

    When the source cannot be found (builtins, lambdas or functions defined inside other
    functions, code outside ``project_root``) the hash is of ``module.qualname`` only, so
    changes to that code are not noticed: pin it with ``code_version:`` in pipeline.yml.
    """
    if isinstance(obj, functools.partial):
        obj = obj.func
    if inspect.ismethod(obj):
        obj = obj.__func__
    if not hasattr(obj, "__qualname__"):  # an instance: hash its class
        obj = type(obj)
    dotted = f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"
    located = _locate_object(obj)
    if located is None:
        return _unavailable(dotted)
    path, qualname, module = located
    scope = _Scope(project_root.resolve() if project_root else None, path)
    source = _module_source(path)
    if not scope.is_project(path) or source is None or qualname not in source.units:
        return _unavailable(dotted)
    namespace = vars(module) if module else getattr(obj, "__globals__", None)
    return _closure_hash(scope, (path, qualname), namespace, live=True)


def code_hash_from_source(file: Path, qualname: str, project_root: Path | None) -> str:
    """:func:`code_hash` without importing anything: parse ``file`` and follow same-module
    names and imports that resolve to files under ``project_root``.

    Raises ValueError when ``file`` does not define ``qualname``.
    """
    path = Path(file).resolve()
    scope = _Scope(project_root.resolve() if project_root else None, path)
    source = _module_source(path)
    if source is None or qualname not in source.units:
        raise ValueError(f"{file} does not define {qualname}")
    return _closure_hash(scope, (path, qualname), None, live=False)


def code_hash_from_dotted(dotted: str, project_root: Path) -> str:
    """:func:`code_hash` of ``pkg.module.name`` found under ``project_root`` (or its ``src/``)
    without importing it; the ``module.qualname`` fallback when it is not project code."""
    root = project_root.resolve()
    scope = _Scope(root, root)
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module_file = scope.find_module(".".join(parts[:cut]))
        source = _module_source(module_file) if module_file else None
        if module_file is None or source is None:
            continue
        qualname = ".".join(parts[cut:])
        key: _Key | None = (module_file, qualname)
        if qualname not in source.units:  # maybe re-exported: `from ._impl import fn`
            key = (
                _resolve_static(scope, module_file, (qualname,)) if cut == len(parts) - 1 else None
            )
        if key is not None:
            return _closure_hash(scope, key, None, live=False)
    return _unavailable(dotted)
