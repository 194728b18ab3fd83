"""``aether status`` without re-evaluating a project that did not change since it last looked.

Evaluating 10,000 assets means parsing the configuration, building every dataset and
fingerprinting every node: about a second. When nothing those verdicts depend on has
changed, the answer is the one computed last time. The verdict depends on:

- the project's files: ``pyproject.toml``, everything under ``conf/``, the Python files and
  folders of the source directory (code hashes), every other file a code hash read and its
  folder, and the other folders code hashes look for modules in (the root, ``src/``);
- the state store (``.aether/state.db`` and its WAL): runs, checks and observations;
- the data: every asset is a local file whose signature is recorded;
- the environment: the selected ``conf/`` environment, what was asked (the pipeline, the
  output form), the values of the variables ``conf/`` reads with ``${env:…}`` outside
  ``credentials.yml`` (kept as one hash, never as values), the Aether version and the
  Python it runs on (code hashes are hashes of Python's syntax trees);
- the clock, through freshness rules: a cached answer expires when an asset would cross
  one of its ``warn_after``/``error_after`` limits.

A signature is a file's size, mtime, inode and ctime: the ctime moves on every change,
even one whose mtime was set back (``os.utime``, ``cp -p``, ``rsync -t``), which a real
evaluation may still see in the content. The signatures an answer is kept against are
taken *before* the evaluation that computes it (a :class:`Look`), so a change made while it
runs never validates it. All of them are compared on every look (a ``stat`` per file: tens
of milliseconds for 10,000 files); one difference and the project is evaluated afresh. A
file modified within :data:`RACY_SECONDS` of when the answer was computed may change again
without its signature moving (coarse timestamps), so it never validates an answer. Projects
with a dataset that is not a local file (remote storage, a custom dataset) are always
evaluated: their signatures cannot be taken without the dataset's own code.

The cache holds only what ``status`` prints, with secrets already masked. A cache file that
is unreadable or not of the expected shape is ignored, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aether.assets.codehash import parsed_files
from aether.assets.signatures import RACY_SECONDS
from aether.assets.status import AssetStatus
from aether.durations import is_in_future, parse_duration
from aether.errors import AetherError
from aether.project import AetherContext, choose_durability, choose_env, project_root, read_settings
from aether.redaction import redact

_FORMAT = 2
_MISSING = [-1, -1, -1, -1]
_ENV_REFERENCE = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Look:
    """A project's signatures taken before it is evaluated: an answer computed afterwards
    is kept against these, so whatever changes while it is computed never validates it."""

    root: Path
    env: str | None
    source_dir: str
    started: float
    files: Mapping[str, list[int]]
    env_hash: str
    data: Mapping[str, list[int]] | None = field(default=None)

    def with_data(self, ctx: AetherContext) -> Look:
        """The same look with every asset's local file (None when one is not a local
        file): taken once the project is loaded, before it is evaluated."""
        paths = []
        try:
            for name in ctx.project_pipeline().datasets():
                path = getattr(ctx.catalog.get(name), "local_path", None)
                if ctx.catalog.is_declared(name) and not isinstance(path, str):
                    return self
                paths += [path] if isinstance(path, str) else []
        except AetherError:  # the evaluation reports it; nothing is kept
            return self
        return replace(self, data=_signatures(paths))


def look_at(project: Path | None, env: str | None) -> Look:
    """The project at ``project`` (or the current folder) as it is now, before anything of
    it is loaded; a bad ``--project`` or durability setting is refused as loading would."""
    started = time.time()  # before anything is read: a change after it is racy or seen
    root = project_root(project)
    settings = read_settings(root)
    chosen_env, _ = choose_env(env, settings)
    choose_durability(settings, root)
    source_dir = str(settings.get("source_dir", "src"))
    files = _project_files(root, source_dir)
    return Look(root, chosen_env, source_dir, started, files, _env_hash(_conf_files(root)))


def cache_path(root: Path, env: str | None, view: str) -> Path:
    return root / ".aether" / "cache" / f"status-{env or 'local'}-{view}.json"


def answer(look: Look, view: str) -> Any | None:
    """The stored ``view`` (a name: what was asked and the output form) of the project
    seen by ``look``, if every signature it was kept against still holds."""
    stored = _stored(cache_path(look.root, look.env, view))
    if stored is None or stored["version"] != _runtime() or stored["env_hash"] != look.env_hash:
        return None
    now, written_at = time.time(), stored["written_at"]
    # Written by a clock that ran ahead (now corrected): its "valid until" is as wrong.
    if now >= stored["valid_until"] or is_in_future(written_at, now):
        return None
    files = {**look.files, **_signatures(stored["extra"])}
    if not _still(stored["files"], files, written_at):
        return None
    if not _still(stored["data"], _signatures(stored["data"]), written_at):
        return None
    return stored["view"]


def write(
    ctx: AetherContext,
    name: str,
    statuses: Iterable[AssetStatus],
    view: Mapping[str, Any],
    look: Look,
) -> None:
    """Remember ``view`` (what was printed of ``statuses``) as ``name`` for the next look,
    if this project's verdicts can be re-checked by the signatures of ``look`` alone (see
    the module docstring); otherwise do nothing."""
    statuses = list(statuses)
    data = _data_signatures(ctx, statuses, look)
    valid_until = _valid_until(ctx, statuses)
    extra = _extra_signatures(look)
    if data is None or valid_until is None or extra is None:
        return
    stored = {
        "format": _FORMAT,
        "version": _runtime(),
        "written_at": look.started,
        "valid_until": valid_until,
        "env_hash": look.env_hash,
        "files": {**look.files, **extra},
        "extra": sorted(extra),
        "data": data,
    }
    # Masked now: a look served from here builds no catalog, so knows no secret. (A path
    # that held one is masked too, so it never matches: that answer is simply not reused.)
    _replace(cache_path(look.root, look.env, name), redact(json.dumps({**stored, "view": view})))


def _replace(target: Path, text: str) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    except OSError:
        return  # a read-only project still gets its status, evaluated every time


def _stored(path: Path) -> dict[str, Any] | None:
    """The cache file's content if it has the shape this module writes (a file cut short,
    hand-edited or planted is ignored)."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(stored, dict) or stored.get("format") != _FORMAT or "view" not in stored:
        return None
    numbers = [stored.get("written_at"), stored.get("valid_until")]
    if not all(isinstance(n, (int, float)) and math.isfinite(n) for n in numbers):
        return None
    extra = stored.get("extra")
    if not isinstance(extra, list):
        return None
    if not all(isinstance(t, str) for t in [stored.get("version"), stored.get("env_hash"), *extra]):
        return None
    if not (isinstance(stored.get("files"), dict) and isinstance(stored.get("data"), dict)):
        return None
    return stored


def _runtime() -> str:
    """This Aether's version (from git tags; each commit has its own dev version) and the
    Python it runs on."""
    try:
        from aether._version import __version__
    except ImportError:  # a source tree never built or installed: no version file
        __version__ = "unknown"
    return f"{__version__} {sys.implementation.cache_tag}"


def _data_signatures(
    ctx: AetherContext, statuses: list[AssetStatus], look: Look
) -> dict[str, list[int]] | None:
    """The signature, as ``look`` took it, of every asset's local file; None when one is
    not a local file."""
    if look.data is None:
        return None
    signatures = {}
    for status in statuses:
        path = getattr(ctx.catalog.get(status.name), "local_path", None)
        if not isinstance(path, str) or path not in look.data:
            return None
        signatures[path] = look.data[path]
    return signatures


def _extra_signatures(look: Look) -> dict[str, list[int]] | None:
    """The other project files the code hashes read; None when one changed lately (its
    signature was taken after the evaluation read it: the ctime tells whether it moved)."""
    inside = [p for p in parsed_files() if p.is_relative_to(look.root)]
    # Their folders too: a module added beside one may shadow a module found elsewhere.
    paths = {str(p) for p in inside} | {str(p.parent) for p in inside}
    extra = _signatures(path for path in sorted(paths) if path not in look.files)
    recent_ns = (look.started - RACY_SECONDS) * 1e9
    if any(signature[3] >= recent_ns for signature in extra.values()):
        return None
    return extra


def _valid_until(ctx: AetherContext, statuses: list[AssetStatus]) -> float | None:
    """When a freshness limit will next be crossed (None: one is crossed already, so the
    answer shows an age that grows, and is not kept)."""
    now, until = time.time(), float("inf")
    for status in statuses:
        entry = ctx.catalog.entries.get(status.name)
        if entry is None or not entry.freshness or status.data_time is None:
            continue
        for key in ("warn_after", "error_after"):
            limit = parse_duration(entry.freshness.get(key), status.name, entry.where)
            if limit is None:
                continue
            crossing = status.data_time + limit
            if crossing <= now:
                return None
            until = min(until, crossing)
    return until if until != float("inf") else now + 365 * 86400.0


def _project_files(root: Path, source_dir: str) -> dict[str, list[int]]:
    paths = [str(root / "pyproject.toml"), str(root / ".aether" / "state.db")]
    paths.append(str(root / ".aether" / "state.db-wal"))
    paths += _conf_files(root)
    paths += _tree(root / source_dir, suffix=".py")
    paths += _module_folders(root)
    return _signatures(paths)


def _module_folders(root: Path) -> list[str]:
    """The folders code hashes look for modules in, besides the source folder: the root,
    ``src/`` and any import path inside the project (``python -m``'s current folder,
    ``PYTHONPATH``). A module added there may shadow one found further down that list, or
    stand for one that was not project code: the folder's signature moves."""
    folders = {str(root), str(root / "src")}
    for entry in filter(None, sys.path):
        if os.path.isabs(entry) and Path(entry).is_relative_to(root):
            folders.add(entry)
    return sorted(folders)


def _conf_files(root: Path) -> list[str]:
    return _tree(root / "conf", suffix="")


def _tree(top: Path, suffix: str) -> list[str]:
    """Every folder under ``top`` and every file ending in ``suffix``: a folder's signature
    changes when a file is added or removed in it."""
    found = []
    for folder, subfolders, names in os.walk(top):
        subfolders[:] = [s for s in subfolders if s != "__pycache__"]
        found.append(folder)
        found += [os.path.join(folder, n) for n in names if n.endswith(suffix)]
    return sorted(found)


def _signatures(paths: Iterable[str]) -> dict[str, list[int]]:
    signatures = {}
    for path in paths:
        try:
            found = os.stat(path)
        except (OSError, ValueError):  # gone, or not a path (a hand-edited file)
            signatures[path] = _MISSING
            continue
        signature = [found.st_size, found.st_mtime_ns, found.st_ino, found.st_ctime_ns]
        signatures[path] = signature
    return signatures


def _still(recorded: Any, current: Mapping[str, list[int]], written_at: float) -> bool:
    """Every recorded signature unchanged, and none too close to when it was recorded."""
    if not isinstance(recorded, dict) or recorded.keys() != current.keys():
        return False
    racy_after_ns = (written_at - RACY_SECONDS) * 1e9
    for path, signature in current.items():
        if recorded[path] != signature or signature[1] >= racy_after_ns:
            return False
    return True


def _env_hash(conf_files: list[str]) -> str:
    """One hash of the values of the environment variables ``conf/`` reads, credentials
    aside: a secret's hash is not kept, and credentials never change a verdict here (only
    projects whose data are all local files are cached)."""
    names: set[str] = set()
    for path in conf_files:
        if os.path.isfile(path) and not os.path.basename(path).startswith("credentials"):
            try:
                names.update(_ENV_REFERENCE.findall(Path(path).read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError):
                continue
    digest = hashlib.sha256()
    for name in sorted(names):
        digest.update(f"{name}\0{os.environ.get(name)}\0".encode())
    return digest.hexdigest()
