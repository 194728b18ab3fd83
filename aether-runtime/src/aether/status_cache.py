"""``aether status`` without re-evaluating a project that did not change since it last looked.

Evaluating 10,000 assets means parsing the configuration, building every dataset and
fingerprinting every node: about a second. When nothing those verdicts depend on has
changed, the answer is the one computed last time. The verdict depends on:

- the project's files: ``pyproject.toml``, everything under ``conf/``, the Python files and
  folders of the source directory (code hashes), every other file a code hash read;
- the state store (``.aether/state.db`` and its WAL): runs, checks and observations;
- the data: every asset is a local file whose signature (size, mtime, inode) is recorded;
- the environment: the selected ``conf/`` environment, what was asked (the pipeline, the
  output form), the values of the variables ``conf/`` reads with ``${env:…}`` outside
  ``credentials.yml`` (kept as one hash, never as values), and the Aether version;
- the clock, through freshness rules: a cached answer expires when an asset would cross
  one of its ``warn_after``/``error_after`` limits.

All of these are compared on every look (a ``stat`` per file: tens of milliseconds for
10,000 files); one difference and the project is evaluated afresh. A file modified within
:data:`RACY_SECONDS` of when the answer was computed may change again without its
signature moving (coarse timestamps), so it never validates an answer. Projects with a
dataset that is not a local file (remote storage, a custom dataset) are always evaluated:
their signatures cannot be taken without the dataset's own code.

The cache holds only what ``status`` prints, with secrets already masked.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from aether.assets.codehash import parsed_files
from aether.assets.signatures import RACY_SECONDS
from aether.assets.status import AssetStatus
from aether.durations import parse_duration
from aether.project import AetherContext
from aether.redaction import redact

_FORMAT = 1
_ENV_REFERENCE = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)")


def cache_path(root: Path, env: str | None, view: str) -> Path:
    return root / ".aether" / "cache" / f"status-{env or 'local'}-{view}.json"


def read(root: Path, env: str | None, view: str, source_dir: str) -> Any | None:
    """The stored ``view`` (a name: the pipeline and the output form) of this project in
    environment ``env``, if it still holds."""
    try:
        stored = json.loads(cache_path(root, env, view).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("format") != _FORMAT:
        return None
    written_at = stored.get("written_at", 0.0)
    if stored.get("version") != _aether_version() or time.time() >= stored.get("valid_until", 0.0):
        return None
    if stored.get("env_hash") != _env_hash(_conf_files(root)):
        return None
    files = {**_project_files(root, source_dir), **_signatures(stored.get("extra", []))}
    if not _still(stored.get("files"), files, written_at):
        return None
    if not _still(stored.get("data"), _signatures(stored.get("data", {})), written_at):
        return None
    return stored.get("view")


def write(
    ctx: AetherContext,
    name: str,
    statuses: Iterable[AssetStatus],
    view: Mapping[str, Any],
    *,
    looked_at: float,
) -> None:
    """Remember ``view`` (what was printed of ``statuses``) as ``name`` for the next look,
    if this project's verdicts can be re-checked by signatures alone (see the module
    docstring); otherwise do nothing.

    ``looked_at`` is when the look began, before it read anything: a file modified after
    that (while it was being evaluated) is racy, so it can never validate this answer."""
    statuses = list(statuses)
    data = _data_paths(ctx, statuses)
    valid_until = _valid_until(ctx, statuses)
    if data is None or valid_until is None:
        return
    root = ctx.project_path
    source_dir = str(ctx.settings.get("source_dir", "src"))
    files = _project_files(root, source_dir)
    # Code hashes read project files only (this process may have parsed other projects').
    inside = (str(path) for path in parsed_files() if path.is_relative_to(root))
    extra = sorted(path for path in inside if path not in files)
    stored = {
        "format": _FORMAT,
        "version": _aether_version(),
        "written_at": looked_at,
        "valid_until": valid_until,
        "env_hash": _env_hash(_conf_files(root)),
        "files": {**files, **_signatures(extra)},
        "extra": extra,
        "data": _signatures(data),
    }
    # Masked now: a look served from here builds no catalog, so knows no secret. (A path
    # that held one is masked too, so it never matches: that answer is simply not reused.)
    text = redact(json.dumps({**stored, "view": view}))
    target = cache_path(root, ctx.env, name)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    except OSError:
        return  # a read-only project still gets its status, evaluated every time


def _aether_version() -> str:
    """The version of this Aether (from git tags; each commit has its own dev version)."""
    try:
        from aether._version import __version__
    except ImportError:  # a source tree never built or installed: no version file
        return "unknown"
    return str(__version__)


def _data_paths(ctx: AetherContext, statuses: list[AssetStatus]) -> list[str] | None:
    """The local file of every asset, or None when one is not a local file."""
    paths = []
    for status in statuses:
        path = getattr(ctx.catalog.get(status.name), "local_path", None)
        if not isinstance(path, str):
            return None
        paths.append(path)
    return paths


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
    # The root folder itself: a module added beside conf/ may be one a code hash looked for.
    paths = [str(root), str(root / "pyproject.toml"), str(root / ".aether" / "state.db")]
    paths.append(str(root / ".aether" / "state.db-wal"))
    paths += _conf_files(root)
    paths += _tree(root / source_dir, suffix=".py")
    return _signatures(paths)


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
        except OSError:
            signatures[path] = [-1, -1, -1]
            continue
        signatures[path] = [found.st_size, found.st_mtime_ns, found.st_ino]
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
