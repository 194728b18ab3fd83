"""One location, one writer: catalog entries that nodes write never share a physical location.

A hostile catalog once declared an output whose ``filepath`` was a raw source spelled
differently (``./data/../data/01_raw/orders.csv``), and the run overwrote the source. So every
``filepath`` (or ``path``) of the catalog is first spelled one way (:class:`LocationNormaliser`):

- local paths: ``~`` expanded, made absolute under the project, ``.``/``..``/doubled slashes
  removed lexically (as the file datasets do), then symlinks resolved on the longest existing
  prefix (``os.path.realpath``; what does not exist yet, such as an output, stays lexical);
  ``file:///abs`` is the local path ``/abs``;
- URLs: the scheme lower-cased with its aliases merged (``s3a``/``s3n`` are ``s3``, ``gcs`` is
  ``gs``...), the host lower-cased without any ``user:password@``, the key's doubled slashes,
  ``.`` and ``..`` removed; fsspec chains (``simplecache::s3://...``) keep their last link.

Tables are locations too (``table://``): an entry with a ``table_name`` is placed by its
connection's ``con:`` URL (read from credentials.yml as written: no secret is resolved, no
database connected to) as engine (driver dropped), database (for SQLite and DuckDB the file,
resolved like a local path; for servers the host, loopback spellings merged, the port with
its default, the database name; never a user or password), schema (``main`` / ``public``
when not given) and table name, folded where the engine folds it (SQLite and DuckDB compare
names case-insensitively; PostgreSQL keeps the case Aether quotes). A table in a database
file under ``conf/``, ``src/`` or ``.aether/`` (Aether's own ``state.db``) is refused.

Then :func:`find_overlaps` sorts the locations by path components, so every folder is directly
followed by what lies inside it, and walks them once with a stack of enclosing folders:
O(n log n) for n entries. Case-insensitive filesystems are out of scope: ``Data/x.csv`` and
``data/x.csv`` are two locations here. Nothing is built, imported or connected to: only the
entries' text is read, so no credentials are needed.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote

from aether.errors import CatalogError
from aether.project.paths import CONF_FOLDER, RESERVED_FOLDERS

LOCAL_SCHEME = "file"
# Spellings fsspec (or Hadoop) accepts for one store; each maps to one canonical scheme.
_SCHEME_ALIASES = {
    "local": LOCAL_SCHEME,
    "s3a": "s3",
    "s3n": "s3",
    "gcs": "gs",
    "abfss": "abfs",
    "az": "abfs",
}
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+)://(.*)$", re.S)
# fsspec chains start with a protocol followed by "::" or "://" (``simplecache::s3://b/k``).
_CHAIN = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+(::|://)")
_LOCATION_KEYS = ("filepath", "path")
# Past this many entries in one folder, listing it once is cheaper than one lstat each.
_PROBES_BEFORE_SCAN = 16


@dataclass(frozen=True)
class Location:
    """Where a dataset's bytes live, spelled one way: a scheme (``file`` for local paths) and
    the path's components (for URLs the first one is the bucket or host)."""

    scheme: str
    parts: tuple[str, ...]

    def contains(self, other: Location) -> bool:
        """Whether ``other`` is this location or lies inside it (this being a folder)."""
        return self.scheme == other.scheme and other.parts[: len(self.parts)] == self.parts

    def __str__(self) -> str:
        if self.scheme == LOCAL_SCHEME:
            return "/" + "/".join(self.parts)
        return f"{self.scheme}://" + "/".join(self.parts)


class LocationNormaliser:
    """Spells locations one way (see the module docstring); remembers resolved folders, so
    thousands of entries in a few folders cost one ``realpath`` per folder.

    Relative paths are relative to ``project_path`` (else the current folder)::

        LocationNormaliser("/srv/shop")("./data/../data/01_raw/orders.csv")
        # Location("file", ("srv", "shop", "data", "01_raw", "orders.csv"))
    """

    def __init__(self, project_path: str | Path | None = None) -> None:
        self.root = os.fspath(project_path) if project_path is not None else os.getcwd()
        self._real_folders: dict[str, str] = {}
        self._probes: dict[str, int] = {}  # lstat calls per resolved folder
        self._links: dict[str, frozenset[str]] = {}  # symlink names of scanned folders

    def __call__(self, text: str) -> Location:
        if _CHAIN.match(text) and "::" in text:
            text = text.rsplit("::", 1)[1]
        url = _URL.match(text)
        if url is None:
            return self._local(text)
        scheme = url.group(1).lower()
        scheme = _SCHEME_ALIASES.get(scheme, scheme)
        if scheme == LOCAL_SCHEME:
            rest = url.group(2)
            rest = rest[len("localhost") :] if rest.startswith("localhost/") else rest
            # unquote is url2pathname on POSIX, without importing urllib.request (~80 ms).
            return self._local(unquote(rest))
        return _remote(scheme, url.group(2))

    def _local(self, text: str) -> Location:
        path = os.path.expanduser(text) if text.startswith("~") else text
        path = path if path.startswith("/") else f"{self.root}/{path}"
        if "/." in path or "//" in path or path.endswith("/"):  # else normpath changes nothing
            path = os.path.normpath(path)
            if path.startswith("//"):  # POSIX keeps a leading "//"; the kernel does not care
                path = "/" + path.lstrip("/")
        return Location(LOCAL_SCHEME, tuple(filter(None, self._real(path).split("/"))))

    def _real(self, path: str) -> str:
        """``realpath`` of a normalised absolute path, its folder's resolution cached."""
        folder, _, name = path.rpartition("/")
        if not name:  # the root itself
            return path
        real_folder = self._real_folders.get(folder)
        if real_folder is None:
            real_folder = self._real_folders[folder] = _realpath(folder or "/")
        full = f"{real_folder.rstrip('/')}/{name}"
        return _realpath(full) if self._is_link(real_folder, name) else full

    def _is_link(self, folder: str, name: str) -> bool:
        """Whether ``folder/name`` is a symlink (a file can point elsewhere too): one lstat
        each, until a folder holds many entries; then one scan of it answers for all."""
        links = self._links.get(folder)
        if links is None:
            self._probes[folder] = probes = self._probes.get(folder, 0) + 1
            if probes <= _PROBES_BEFORE_SCAN:
                return os.path.islink(f"{folder.rstrip('/')}/{name}")
            links = self._links[folder] = _symlink_names(folder)
        return name in links


def _realpath(path: str) -> str:
    try:
        return os.path.realpath(path)
    except ValueError:  # an embedded NUL byte: no such file can exist, the text is all
        return path


def _symlink_names(folder: str) -> frozenset[str]:
    try:
        with os.scandir(folder) as found:  # the entry type comes with the listing: no stat
            return frozenset(entry.name for entry in found if entry.is_symlink())
    except (OSError, ValueError):  # missing, unreadable, a NUL byte: no symlink to follow
        return frozenset()


def _remote(scheme: str, rest: str) -> Location:
    host, _, key = rest.partition("/")
    host = host.rsplit("@", 1)[-1].lower()  # user:password@ names who reads, not where
    key = posixpath.normpath("/" + key).lstrip("/")
    parts = (host, *(p for p in key.split("/") if p and p != "."))
    return Location(scheme, tuple(p for p in parts if p))


class EntryLike(Protocol):
    """What the check reads of a catalog entry (``aether.catalog.CatalogEntry`` fits)."""

    @property
    def name(self) -> str: ...

    @property
    def where(self) -> str: ...

    @property
    def arguments(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class PlacedEntry:
    """A catalog entry's name, where it is declared (``conf/base/catalog.yml:12``) and
    the location it names; for a table in a database file, that file too."""

    name: str
    where: str
    location: Location
    database_file: Location | None = None


TABLE_SCHEME = "table"
# Engines whose table names are compared without regard to case, even quoted.
_CASE_FOLDING_ENGINES = ("sqlite", "duckdb")
_FILE_ENGINES = ("sqlite", "duckdb")
_DEFAULT_SCHEMAS = {"sqlite": "main", "duckdb": "main", "postgresql": "public"}
_DEFAULT_PORTS = {"postgresql": "5432", "mysql": "3306", "mssql": "1433", "oracle": "1521"}
_ENGINE_ALIASES = {"postgres": "postgresql", "mariadb": "mysql"}
_USER_INFO = re.compile(r"^[^:/@]*(?::[^@]*)?@")
_LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]", "")

# The `con:` of a table entry's credentials, as written (None when it cannot be told).
ConnectionOf = Callable[[EntryLike], "str | None"]


def place_table(entry: EntryLike, con: str, normalise: LocationNormaliser) -> PlacedEntry | None:
    """The table ``entry`` names in the database ``con`` points to; None for an in-memory
    database or a URL that cannot be read (the dataset itself reports that)."""
    match = re.match(r"^([A-Za-z][\w.+\-]*)://(.*)$", con, re.S)
    table = entry.arguments.get("table_name")
    if match is None or not isinstance(table, str) or not table:
        return None
    engine = match.group(1).split("+", 1)[0].lower()
    engine = _ENGINE_ALIASES.get(engine, engine)
    rest, _, query = match.group(2).partition("?")
    database_file = None
    if engine in _FILE_ENGINES:
        path = unquote(rest[1:]) if rest.startswith("/") else ""
        if not path or path == ":memory:":
            return None
        database_file = normalise(path)
        database: tuple[str, ...] = database_file.parts
    else:
        # Never the user or password: cut as SQLAlchemy reads them (a password may hold a
        # "/", never a raw "@"), before the host is looked for.
        host_part, _, name = _USER_INFO.sub("", rest, count=1).partition("/")
        host, port = _host_and_port(host_part.lower())
        given = dict(parse_qsl(query))  # libpq's ?host=...&port=... win, as drivers read them
        host, port = given.get("host", host).lower(), given.get("port", port)
        port = str(int(port)) if port.isdigit() else port  # 05432 is 5432
        host = "localhost" if host in _LOOPBACK else host
        database = (f"{host}:{port or _DEFAULT_PORTS.get(engine, '')}", unquote(name))
    schema = entry.arguments.get("schema")
    schema = schema if isinstance(schema, str) and schema else _DEFAULT_SCHEMAS.get(engine, "")
    if engine in _CASE_FOLDING_ENGINES:
        schema, table = schema.lower(), table.lower()
    location = Location(TABLE_SCHEME, (engine, *database, schema, table))
    return PlacedEntry(entry.name, entry.where, location, database_file)


class Relation(str, Enum):  # StrEnum is 3.11+; Aether supports 3.10
    """How a written entry's location meets another entry's."""

    SAME = "same"  # one location
    INSIDE = "inside"  # the written entry lies inside the other's folder
    HOLDS = "holds"  # the other entry lies inside the written entry's folder


@dataclass(frozen=True)
class Overlap:
    """A written entry sharing its location with another entry (written or not)."""

    written: PlacedEntry
    writer: str  # the node that writes it
    other: PlacedEntry
    relation: Relation


def _host_and_port(text: str) -> tuple[str, str]:
    """``("db.example", "5433")`` from ``db.example:5433``; ``[::1]:5432`` too."""
    if text.startswith("["):
        host, _, after = text.partition("]")
        return host + "]", after.removeprefix(":")
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, port
    return text, ""


def place_entries(
    entries: Iterable[EntryLike],
    project_path: str | Path | None = None,
    connection_of: ConnectionOf | None = None,
) -> list[PlacedEntry]:
    """Entries with a ``filepath`` (else ``path``) string, or a ``table_name`` whose
    connection ``connection_of`` tells, located; the others are skipped."""
    normalise = LocationNormaliser(project_path)
    placed = []
    for entry in entries:
        text = next((entry.arguments[k] for k in _LOCATION_KEYS if k in entry.arguments), None)
        if isinstance(text, str) and text:
            placed.append(PlacedEntry(entry.name, entry.where, normalise(text)))
        elif connection_of is not None and "table_name" in entry.arguments:
            con = connection_of(entry)
            table = place_table(entry, con, normalise) if con else None
            if table is not None:
                placed.append(table)
    return placed


def find_overlaps(entries: Iterable[PlacedEntry], written: Mapping[str, str]) -> list[Overlap]:
    """Every clash of a written entry with another; ``written`` maps dataset to node.

    Entries no node writes may share a location (read-only aliases of one source).
    """
    groups: dict[Location, list[PlacedEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.location, []).append(entry)
    found: list[Overlap] = []
    enclosing: list[Location] = []  # the folders holding the current location
    # By scheme, then parts (not text: "a/x-1" sorts after "a/x/b"), so every folder comes
    # right before what lies inside it.
    for location in sorted(groups, key=lambda loc: (loc.scheme, loc.parts)):
        group = groups[location]
        if len(group) > 1:
            group.sort(key=lambda e: e.name)
            found += _clashes(group, group, written)
        while enclosing and not enclosing[-1].contains(location):
            enclosing.pop()
        for folder in enclosing:
            found += _clashes(groups[folder], group, written)
        enclosing.append(location)
    return found


def _writers(group: list[PlacedEntry], written: Mapping[str, str]) -> list[PlacedEntry]:
    return [entry for entry in group if entry.name in written]


def _clashes(
    outer: list[PlacedEntry], inner: list[PlacedEntry], written: Mapping[str, str]
) -> list[Overlap]:
    """Overlaps of ``inner`` entries with the ``outer`` location (the same one, or a folder
    holding it): none if neither side is written; named from a writer's side."""
    same = outer[0].location == inner[0].location
    outer_writers = _writers(outer, written)
    if outer_writers:
        first = outer_writers[0]
        relation = Relation.SAME if same else Relation.HOLDS
        return [
            Overlap(first, written[first.name], entry, relation)
            for entry in inner
            if entry is not first
        ]
    inner_writers = _writers(inner, written)
    if not inner_writers:
        return []
    first = inner_writers[0]
    return [Overlap(first, written[first.name], outer[0], Relation.INSIDE)]


def check_one_writer(
    entries: Iterable[EntryLike],
    written: Mapping[str, str],
    project_path: str | Path | None = None,
    connection_of: ConnectionOf | None = None,
    reserved: Sequence[str] = RESERVED_FOLDERS,
) -> None:
    """Raise :class:`CatalogError` naming both entries of the first overlap found, or the
    first written entry inside the project's own files (see :func:`check_project_files`;
    ``reserved``: its folders, as `ProjectPaths.reserved_folders` names them)."""
    placed = place_entries(entries, project_path, connection_of)
    if project_path is not None:
        check_project_files(placed, written, project_path, reserved)
    overlaps = find_overlaps(placed, written)
    if overlaps:
        raise overlap_error(overlaps[0], len(overlaps) - 1, project_path)


def check_project_files(
    entries: Iterable[PlacedEntry],
    written: Mapping[str, str],
    project_path: str | Path,
    folders: Sequence[str] = RESERVED_FOLDERS,
) -> None:
    """No node writes into ``conf/``, the code folder (``src/``, or ``[tool.aether]
    source_dir`` given in ``folders``) or ``.aether/`` (a table included, when its database
    file lies there), nor over the project folder (or a folder holding it): a run would
    overwrite its own configuration, code or state. Folders are compared where they really
    are: ``conf/base`` may be a symlink to a folder elsewhere."""
    root = Location(LOCAL_SCHEME, tuple(p for p in os.path.realpath(project_path).split("/") if p))
    reserved = _reserved_folders(str(project_path), folders)
    for entry in entries:
        if entry.name not in written:
            continue
        target = entry.database_file or entry.location
        hit = next((name for folder, name in reserved if folder.contains(target)), None)
        if hit is None and not target.contains(root):
            continue
        what = f"the project's {hit}/ folder" if hit else "the project folder"
        if entry.database_file is not None:
            what = f"a database in {what}"
        raise CatalogError(
            f"Dataset '{entry.name}' ({entry.where}), written by node "
            f"'{written[entry.name]}', would overwrite {what}: "
            f"{_shown(target, project_path) if hit else target}",
            hint=f"give '{entry.name}' a location under data/: conf/, src/ and .aether/ hold "
            "the project's configuration, code and state",
        )


def _reserved_folders(project_path: str, folders: Sequence[str]) -> list[tuple[Location, str]]:
    """``folders`` (``conf/``, the code, ``.aether/``) as really located, with every
    symlinked folder or file inside ``conf/`` and directly inside the others (a link leads
    elsewhere)."""
    reserved = []
    for folder in folders:
        top = os.path.join(project_path, folder)
        places = {top}
        for current, folders, files in os.walk(top):
            for name in folders + files:
                if os.path.islink(os.path.join(current, name)):
                    places.add(os.path.join(current, name))
            if folder != CONF_FOLDER:
                break  # the code and the state: their top level only (src/ may be large)
        for place in sorted(places):
            real = os.path.realpath(place)
            reserved.append(
                (Location(LOCAL_SCHEME, tuple(p for p in real.split("/") if p)), folder)
            )
    return reserved


def overlap_error(
    overlap: Overlap, more: int, project_path: str | Path | None = None
) -> CatalogError:
    """The one-line error for ``overlap`` (``more``: how many other overlaps were found)."""
    written, other = overlap.written, overlap.other
    place = {
        Relation.SAME: "is the same location as",
        Relation.INSIDE: "lies inside the folder of",
        Relation.HOLDS: "is a folder holding",
    }[overlap.relation]
    shown = _shown(written.location, project_path)
    if overlap.relation is not Relation.SAME:
        shown += f" and {_shown(other.location, project_path)}"
    also = f" ({more} more overlap{'s' if more > 1 else ''})" if more else ""
    what = "table" if written.location.scheme == TABLE_SCHEME else "filepath"
    return CatalogError(
        f"Dataset '{written.name}' ({written.where}), written by node '{overlap.writer}', "
        f"{place} '{other.name}' ({other.where}): {shown}{also}",
        hint=f"give '{written.name}' a {what} of its own: a location a node writes "
        "cannot be shared with another catalog entry",
    )


def _shown(location: Location, project_path: str | Path | None) -> str:
    """A local location relative to the project when inside it; else as is."""
    if location.scheme == LOCAL_SCHEME and project_path is not None:
        root = tuple(p for p in os.path.realpath(project_path).split("/") if p)
        if location.parts[: len(root)] == root and location.parts != root:
            return "/".join(location.parts[len(root) :])
    return str(location)
