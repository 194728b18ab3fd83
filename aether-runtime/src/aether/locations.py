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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote

from aether.errors import CatalogError

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
    the location it names."""

    name: str
    where: str
    location: Location


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


def place_entries(
    entries: Iterable[EntryLike], project_path: str | Path | None = None
) -> list[PlacedEntry]:
    """Entries with a ``filepath`` (else ``path``) string, located; the others are skipped."""
    normalise = LocationNormaliser(project_path)
    placed = []
    for entry in entries:
        text = next((entry.arguments[k] for k in _LOCATION_KEYS if k in entry.arguments), None)
        if isinstance(text, str) and text:
            placed.append(PlacedEntry(entry.name, entry.where, normalise(text)))
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
) -> None:
    """Raise :class:`CatalogError` naming both entries of the first overlap found, or the
    first written entry inside the project's own files (see :func:`check_project_files`)."""
    placed = place_entries(entries, project_path)
    if project_path is not None:
        check_project_files(placed, written, project_path)
    overlaps = find_overlaps(placed, written)
    if overlaps:
        raise overlap_error(overlaps[0], len(overlaps) - 1, project_path)


# The project's own files: its configuration, its code and Aether's state and lock.
PROJECT_FOLDERS = ("conf", "src", ".aether")


def check_project_files(
    entries: Iterable[PlacedEntry], written: Mapping[str, str], project_path: str | Path
) -> None:
    """No node writes into ``conf/``, ``src/`` or ``.aether/``, nor over the project folder
    (or a folder holding it): a run would overwrite its own configuration, code or state."""
    root = Location(LOCAL_SCHEME, tuple(p for p in os.path.realpath(project_path).split("/") if p))
    reserved = [Location(LOCAL_SCHEME, (*root.parts, folder)) for folder in PROJECT_FOLDERS]
    for entry in entries:
        if entry.name not in written:
            continue
        hit = next((folder for folder in reserved if folder.contains(entry.location)), None)
        if hit is None and not entry.location.contains(root):
            continue
        what = f"the project's {hit.parts[-1]}/ folder" if hit else "the project folder"
        raise CatalogError(
            f"Dataset '{entry.name}' ({entry.where}), written by node "
            f"'{written[entry.name]}', would overwrite {what}: "
            f"{_shown(entry.location, project_path) if hit else entry.location}",
            hint=f"give '{entry.name}' a filepath under data/: conf/, src/ and .aether/ hold "
            "the project's configuration, code and state",
        )


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
    return CatalogError(
        f"Dataset '{written.name}' ({written.where}), written by node '{overlap.writer}', "
        f"{place} '{other.name}' ({other.where}): {shown}{also}",
        hint=f"give '{written.name}' a filepath of its own: a location a node writes "
        "cannot be shared with another catalog entry",
    )


def _shown(location: Location, project_path: str | Path | None) -> str:
    """A local location relative to the project when inside it; else as is."""
    if location.scheme == LOCAL_SCHEME and project_path is not None:
        root = tuple(p for p in os.path.realpath(project_path).split("/") if p)
        if location.parts[: len(root)] == root and location.parts != root:
            return "/".join(location.parts[len(root) :])
    return str(location)
