"""Versioned file datasets (``versioned: true`` or ``versioned: {keep: N}`` in catalog.yml):
every save keeps a copy named by the run that made it.

Layout: the dataset's own ``filepath`` always holds the newest version, so everything that
reads it (a notebook, a BI tool, ``aether status``) works as without versions. Each version is
a copy beside it, in a folder named after the file::

    data/03_primary/customer_revenue.parquet                     # the newest
    data/03_primary/customer_revenue.parquet.versions/
        20261205T134330Z-14dcc9/customer_revenue.parquet          # one per run
        20261204T091500Z-a1b2c3/customer_revenue.parquet

A copy, not a hard link: an edit of the file in place must never change history. A version
is copied once its node's outputs are published, written aside and renamed (one object copy
in object storage), so a crash never leaves half a version; a run killed after the copy and
before its commit leaves a complete copy that `aether catalog versions` marks "not recorded".
Retention (``keep``) removes the oldest versions (by when their run started, then when each
was kept) after a new one is kept, never the one the run reads (``--load-version``); a folder
a killed copy left half written is removed by the next run that keeps a version.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import shutil
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aether.configuration import durability
from aether.errors import CatalogError, DataSetError

if TYPE_CHECKING:
    from aether.datasets.files import AbstractFileDataSet

VERSIONS_SUFFIX = ".versions"
# A version id is a run id: a folder name anywhere, never a path.
VERSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
# The start of a run id (aether.project.context.new_run_id): when its run started, in UTC.
_RUN_STAMP = re.compile(r"(\d{8}T\d{6}Z)-")


@dataclass(frozen=True)
class VersionPolicy:
    """``versioned:`` of a catalog entry: keep every version, or the newest ``keep``."""

    keep: int | None = None


def parse_versioned(value: Any, name: str, where: str) -> VersionPolicy | None:
    """``versioned:`` as written (true, false, or {keep: N}), checked."""
    if value is None or value is False:
        return None
    if value is True:
        return VersionPolicy()
    if isinstance(value, dict) and set(value) <= {"keep"}:
        keep = value.get("keep")
        if keep is None or (isinstance(keep, int) and not isinstance(keep, bool) and keep >= 1):
            return VersionPolicy(keep)
    raise CatalogError(
        f"Dataset '{name}' ({where}): `versioned:` must be true, false or {{keep: N}} with N "
        f"at least 1, got {value!r}",
        hint="e.g. versioned: true, or versioned: {keep: 10}",
    )


def check_version_id(version: str) -> str:
    if not VERSION_ID.fullmatch(version):
        raise DataSetError(
            f"'{version}' is not a version id (a run id, like 20261205T134330Z-14dcc9)",
            hint="list the versions: aether catalog versions NAME",
        )
    return version


def pin(dataset: Any, version: str) -> None:
    """Make ``dataset`` (a versioned file dataset) read version ``version``."""
    from aether.datasets.files import AbstractFileDataSet

    if not isinstance(dataset, AbstractFileDataSet) or dataset.versioned is None:
        raise CatalogError(
            f"Dataset '{getattr(dataset, 'name', '?')}' is not versioned: it has only its "
            "newest version",
            hint="add `versioned: true` to its catalog entry to keep every version",
        )
    dataset.pinned_version = check_version_id(version)


class Versions:
    """The versions folder of one file dataset, local or remote (through fsspec)."""

    def __init__(self, dataset: AbstractFileDataSet) -> None:
        self.dataset = dataset
        path = dataset.local_path or dataset.filepath
        self._join = os.path.join if dataset.local_path else posixpath.join
        self._split = os.path.split if dataset.local_path else posixpath.split
        self.folder = path + VERSIONS_SUFFIX
        self.filename = self._split(path)[1]

    def path_of(self, version: str) -> str:
        """Where version ``version`` is (or would be) kept."""
        return self._join(self.folder, check_version_id(version), self.filename)

    def ids(self) -> list[str]:
        """The versions kept, newest first (only complete ones: each is renamed into place)."""
        local = self.dataset.local_path is not None
        try:
            if local:
                names = os.listdir(self.folder)
            else:
                fs = self.dataset.filesystem()
                fs.invalidate_cache(self.folder)
                listed = fs.ls(self.folder, detail=False)
                names = [posixpath.basename(p.rstrip("/")) for p in listed]
        except FileNotFoundError:
            return []
        kept = {n: self._kept_at(self.path_of(n)) for n in names if VERSION_ID.fullmatch(n)}
        found = [(_order(n, at), n) for n, at in kept.items() if at is not None]
        return [n for _, n in sorted(found, reverse=True)]

    def size_of(self, version: str) -> int | None:
        path = self.path_of(version)
        try:
            if self.dataset.local_path is not None:
                return os.stat(path).st_size
            return int(self.dataset.filesystem().size(path))
        except (OSError, ValueError, TypeError):
            return None

    def kept_at(self, version: str) -> float | None:
        """When version ``version`` was last written (its copy's modification time)."""
        return self._kept_at(self.path_of(version))

    def content_hash(self, version: str) -> str | None:
        """The ``sha256:`` of version ``version``'s bytes as they are now, or None if it
        cannot be read. Reads the whole copy: asked only of a copy written after its run."""
        from aether.datasets import file_hashes

        path = self.path_of(version)
        try:
            if self.dataset.local_path is not None:
                with open(path, "rb") as file:
                    return file_hashes.sha256(file)
            with self.dataset.filesystem().open(path, "rb") as file:
                return file_hashes.sha256(file)
        except (OSError, ValueError):
            return None

    def keep(self, version: str) -> None:
        """Copy the dataset's file, as it now is, into version ``version``: written aside
        and renamed, so the version is complete or absent."""
        target = self.path_of(version)
        folder = self._split(target)[0]
        aside = self._join(folder, f".{self.filename}.aether-copy")
        if self.dataset.local_path is not None:
            self._remove_unfinished_copies()
            os.makedirs(folder, exist_ok=True)
            try:
                shutil.copyfile(self.dataset.local_path, aside)
                with open(aside, "rb") as file:
                    durability.sync_file(file.fileno())
                os.replace(aside, target)
            except BaseException:
                _remove_quietly(aside)
                raise
            durability.sync_directory(folder)
            return
        fs = self.dataset.filesystem()
        fs.copy(self.dataset.filepath, target)

    def prune(self, keep: int) -> list[str]:
        """Remove all but the newest ``keep`` versions; returns the ids removed. The version
        this run reads (``--load-version``) is spared: a node that reads it may not have run
        yet, and it goes at the next run's pruning."""
        pinned = getattr(self.dataset, "pinned_version", None)
        removed = [v for v in self.ids()[keep:] if v != pinned]
        for version in removed:
            self.remove(version)
        return removed

    def remove(self, version: str) -> None:
        folder = self._split(self.path_of(version))[0]
        if self.dataset.local_path is not None:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            self.dataset.filesystem().rm(folder, recursive=True)

    def missing_error(self, version: str) -> DataSetError:
        """Version ``version`` is not kept: say which are, nearest first."""
        return DataSetError(
            f"Dataset '{self.dataset.name}' has no version '{version}'",
            hint=versions_hint(version, self.ids()),
        )

    def _remove_unfinished_copies(self) -> None:
        """Remove what a run killed while copying left: a version folder holding only the
        copy written aside (``.<file>.aether-copy``). No version lists it, so no pruning
        would ever free its space. Called under the project's run lock, by a run keeping a
        version: no other copy is in progress then."""
        aside = f".{self.filename}.aether-copy"
        try:
            names = os.listdir(self.folder)
        except OSError:
            return
        for name in names:
            folder = os.path.join(self.folder, name)
            if not VERSION_ID.fullmatch(name) or os.path.isfile(
                os.path.join(folder, self.filename)
            ):
                continue
            _remove_quietly(os.path.join(folder, aside))
            with contextlib.suppress(OSError):
                os.rmdir(folder)  # only if nothing else is in it: never someone's own files

    def _kept_at(self, path: str) -> float | None:
        """When the version at ``path`` was kept (its copy's modification time), or None if
        it is not there."""
        try:
            if self.dataset.local_path is not None:
                found = os.stat(path)
                return found.st_mtime_ns / 1e9 if os.path.isfile(path) else None
            return float(self.dataset.filesystem().modified(path).timestamp())
        except (OSError, NotImplementedError, AttributeError, ValueError):
            return None


def _order(version: str, kept_at: float) -> tuple[str, float]:
    """The sort key of a version, oldest first: the time its run started (the run id's
    stamp), then when it was kept. By the id's stamp first, so that a hand edit or a copy
    (which moves the file's modification time) never makes an old version the newest one,
    which retention would then keep in place of a newer one; by modification time next, as
    two runs in one second differ only by a random suffix. An id that is no run id counts
    from its modification time."""
    stamp = _RUN_STAMP.match(version)
    started = stamp.group(1) if stamp else time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(kept_at))
    return started, kept_at


def versions_hint(version: str, kept: list[str]) -> str:
    """The nearest kept versions to ``version`` (by id: ids sort by time), or that none is."""
    if not kept:
        return "it keeps no version yet: a run that saves it keeps one"
    nearest = sorted(kept, key=lambda k: (_shared_prefix(k, version), k), reverse=True)[:3]
    return f"nearest kept: {', '.join(nearest)} (all: aether catalog versions NAME)"


def _shared_prefix(a: str, b: str) -> int:
    shared = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        shared += 1
    return shared


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)
