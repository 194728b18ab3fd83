"""The last evaluation of a project, remembered between processes, and what of it still holds.

git keeps each file's stat data beside its content hash, so ``git status`` hashes only what
changed; Aether keeps its last evaluation the same way (``.aether/cache/memo-<env>.pickle``),
so ``aether status`` and a run judge again only what changed and what depends on it. What a
verdict depends on, and how the memo tells that it still holds:

- the project's files: ``pyproject.toml``, everything under ``conf/``, the Python files and
  folders of the source folder, every other file a code hash read and its folder, and the
  folders modules are looked for in: their signatures (size, mtime, inode, ctime) as taken
  when the project was loaded. One changed: the memo is not used (the project is judged
  afresh); one changed while the project loaded (its mtime is racy): the memo is not kept;
- the environment: the ``conf/`` environment, the values of the variables ``conf/`` reads
  with ``${env:…}`` outside ``credentials.yml`` (one hash), the ``--params`` overrides, the
  Aether version and the Python it runs on (code hashes are hashes of syntax trees);
- the state store: its generation, which every change to what a verdict reads moves (heads,
  materializations, check results, source observations; any writer, triggers keep it);
- the data: each asset's local file, with the signature (size, mtime, inode) its verdict
  rested on and when that was read (a file changed after it, even while a run went on, no
  longer matches it). An asset whose signature moved is judged again, and everything
  downstream of it; one whose signature holds but was modified within a tick of its
  filesystem's clock before it was read (:func:`is_racy`) may have changed again without
  moving it: that one alone is hashed and compared with the content last found ("racily
  clean", re-checked on its own, as git does);
- the clock, through freshness rules: the memo expires when an asset would cross one of its
  ``warn_after``/``error_after`` limits, or a data time written ahead of the clock stops being.

Only projects whose assets are all local files are remembered: a remote object's, a table's
or a custom dataset's signature cannot be taken without the dataset's own code, so those
projects are judged in full every time. The memo holds what the state store holds
(statuses, versions, reasons, parameter values), no secret; it is read back with an
unpickler that builds only the classes of a verdict, so a planted file can run no code, and
a file that is unreadable or of another shape is ignored, never trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import re
import secrets
import stat
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aether.assets.codehash import parsed_files
from aether.assets.signatures import RACY_SECONDS
from aether.assets.status import AssetStatus, NodeState
from aether.catalog import DataCatalog
from aether.project.paths import ProjectPaths
from aether.support.durations import is_in_future, parse_duration
from aether.support.redaction import redact

if TYPE_CHECKING:
    from aether.project.context import AetherContext

MEMO_FORMAT = 1
_MISSING = (-1, -1, -1, -1)
_NO_FILE = (-1, -1, -1)


def _fine_racy_seconds() -> float:
    """The racy window where mtimes keep nanoseconds: four ticks of the clock Linux stamps
    files with (its coarse clock, 1-10 ms a tick: 10 ms at least), 0.1 s where that clock
    cannot be asked for (other systems)."""
    if not sys.platform.startswith("linux"):
        return 0.1
    try:
        tick = time.clock_getres(5)  # CLOCK_REALTIME_COARSE, which Python does not name
    except OSError:
        return 0.1
    return min(0.1, max(0.01, 4 * tick))


FINE_RACY_SECONDS = _fine_racy_seconds()
_FOLDER = -2  # the first field of a folder's signature: the others hash its names
_ENV_REFERENCE = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)")
_FUTURE_TOLERANCE = 300.0  # aether.support.durations.is_in_future's
Signature = tuple[int, int, int, int]  # a project file's: size, mtime, inode, ctime
DataSignature = tuple[int, int, int]  # a data file's, as its dataset signs it: size, mtime, inode
# An asset's local file, its signature as a verdict rested on it, and when that was read.
DataEntry = tuple[str, DataSignature, float]


@dataclass(frozen=True)
class Prior:
    """What a remembered evaluation says, and which of its assets no longer hold.

    Attributes:
        token: This memo's identity (a random token; a view kept for it holds while it does).
        changed: Assets whose data changed since (or cannot be vouched for): they, and
            everything downstream of them, are judged again.
        pipelines: Each pipeline's datasets, to answer ``status --pipeline`` unloaded.
        data: Each asset's local file, its signature as read now, and when (``taken_at``).
        taken_at: When ``data`` was read.
        rechecked: How many racily clean files were hashed to vouch for them.
        verdicts_path: The file the verdicts are read back from (see :meth:`verdicts`).
        versions: Each asset's content as last found (a content hash or a signature's
            digest), which a racily clean file is compared with.
    """

    token: str
    changed: frozenset[str]
    pipelines: Mapping[str, tuple[str, ...]]
    data: Mapping[str, DataEntry]
    taken_at: float
    rechecked: int
    verdicts_path: Path
    versions: Mapping[str, str | None]

    def verdicts(self) -> tuple[dict[str, AssetStatus], dict[str, NodeState]] | None:
        """Every asset's status and every node's state as remembered (a node's parts left
        out: see EvaluationMemo.remember), read on first use; None if they cannot be."""
        try:
            with open(self.verdicts_path, "rb") as file:
                stored = _VerdictUnpickler(file).load()
        except Exception:  # missing, cut short, planted or from another release
            return None
        if not isinstance(stored, dict) or stored.get("token") != self.token:
            return None
        statuses, nodes = stored.get("statuses"), stored.get("nodes")
        if not (isinstance(statuses, dict) and isinstance(nodes, dict)):
            return None
        if not all(isinstance(s, AssetStatus) for s in statuses.values()):
            return None
        try:
            states = {name: NodeState(name, {}, *fields) for name, fields in nodes.items()}
        except TypeError:  # not of the shape written
            return None
        return statuses, states


@dataclass(frozen=True)
class ProjectLook:
    """The project's own files, and what else a verdict depends on besides the data and
    the state, as they are now (taken before the project is judged)."""

    root: Path
    env: str
    taken_at: float
    files: Mapping[str, Signature]
    key: str  # the environment: runtime, env-variable hash, overrides, home folder
    # False when the code folder lies outside the project (it is not walked: it may be "/").
    rememberable: bool = True

    @classmethod
    def take(
        cls, root: Path, env: str, source_dir: str, overrides: Mapping[str, Any], taken_at: float
    ) -> ProjectLook:
        source = (root / source_dir).resolve()
        inside = source.is_relative_to(root.resolve())
        conf = _tree(root / "conf", suffix="")
        paths = [str(root / "pyproject.toml"), *conf, *(_tree(source, ".py") if inside else [])]
        paths += _module_folders(root)
        # `~` in a catalog path is the home folder of whoever looks.
        asked = [_runtime(), _env_hash(conf), overrides, os.path.expanduser("~")]
        key = json.dumps(asked, sort_keys=True, default=str)
        return cls(root, env, taken_at, _project_signatures(paths), key, inside)


class EvaluationMemo:
    """The memo of one project and environment (see the module docstring), in three kinds
    of file under ``.aether/cache/``: the index (``memo-<env>.json``: what it depends on,
    read by every look), the verdicts (``memo-<env>.pickle``: read only to judge again
    what changed) and views (``view-<env>-<name>.json``: what a command printed from it)."""

    def __init__(
        self, look: ProjectLook, pipelines: Mapping[str, Iterable[str]] | None = None
    ) -> None:
        self.look = look
        folder = ProjectPaths(look.root).cache
        self.index_path = folder / f"memo-{look.env}.json"
        self.verdicts_path = folder / f"memo-{look.env}.pickle"
        self._pipelines = pipelines or {}
        # ((generation, whether racily clean files were hashed), prior)
        self._read: tuple[tuple[str | None, bool], Prior | None] | None = None
        self._index: dict[str, Any] | None = None  # as read back, if it was usable
        #: The token of the evaluation this memo kept (None: none was kept by this one).
        self.written: str | None = None

    @classmethod
    def for_context(
        cls, ctx: AetherContext, looked: EvaluationMemo | None = None
    ) -> EvaluationMemo:
        """The memo of a loaded project: its files' signatures vouched for from when loading
        began, or taken by ``looked`` (the memo looked at before it was loaded; what it read
        is not read again)."""
        pipelines = _DatasetsOf(ctx.pipelines)
        if looked is not None:
            return looked.with_pipelines(pipelines)
        source_dir = str(ctx.settings.get("source_dir", "src"))
        look = ProjectLook.take(
            ctx.project_path, ctx.env, source_dir, ctx.param_overrides, ctx.loaded_at
        )
        return cls(look, pipelines)

    def with_pipelines(self, pipelines: Mapping[str, Iterable[str]]) -> EvaluationMemo:
        """This memo, knowing the project's pipelines (for ``status --pipeline`` unloaded),
        with what it read back already."""
        memo = EvaluationMemo(self.look, pipelines)
        memo.adopt_read_back(self._read, self._index)
        return memo

    def adopt_read_back(
        self,
        read: tuple[tuple[str | None, bool], Prior | None] | None,
        index: dict[str, Any] | None,
    ) -> None:
        """Take what another memo of the same look read back (not read again)."""
        self._read, self._index = read, index

    @classmethod
    def for_project(
        cls, root: Path, env: str, source_dir: str, overrides: Mapping[str, Any] | None = None
    ) -> EvaluationMemo:
        """The memo of the project at ``root``, looked at now, before anything is loaded."""
        return cls(ProjectLook.take(root, env, source_dir, overrides or {}, time.time()))

    @classmethod
    def before_loading(
        cls, project: Path | None, env: str | None, overrides: Mapping[str, Any] | None = None
    ) -> EvaluationMemo:
        """The memo of the project at (or above) ``project``, looked at before anything of
        it is loaded. A bad ``--project``, environment or durability setting is refused as
        loading would refuse it."""
        from aether.configuration.conf_folder import DEFAULT_ENV
        from aether.project.context import (
            choose_durability,
            choose_env,
            project_root,
            read_settings,
        )

        taken_at = time.time()  # before anything is read: a change after it is racy or seen
        root = project_root(project)
        settings = read_settings(root)
        chosen_env, _ = choose_env(env, settings)
        choose_durability(settings, root)
        source_dir = str(settings.get("source_dir", "src"))
        look = ProjectLook.take(
            root, chosen_env or DEFAULT_ENV, source_dir, overrides or {}, taken_at
        )
        return cls(look)

    def look_again(self) -> EvaluationMemo:
        """The same look, with nothing read back yet (to read what was remembered since)."""
        return EvaluationMemo(self.look, self._pipelines)

    def prior_now(self, *, recheck_racy: bool = True) -> Prior | None:
        """:meth:`prior`, the state store's generation read here (None: no store)."""
        from aether.state.location import StateLocation
        from aether.state.sqlite import SQLiteStateStore

        # Only the project's own file is read before loading: a shared store is asked by
        # the loaded project (its generation then decides, as for any look).
        location = StateLocation.choose(self.look.root, self.look.env)
        state = ProjectPaths(self.look.root).state_db
        if not location.is_default or not state.is_file():
            return None
        with SQLiteStateStore(state) as store:
            return self.prior(store.generation(), recheck_racy=recheck_racy)

    def prior(self, generation: str | None, *, recheck_racy: bool = True) -> Prior | None:
        """The remembered evaluation, if the project, its environment and the state store
        (``generation``) are as they were; None otherwise.

        ``recheck_racy`` False: a racily clean file is taken as remembered, not hashed. Only
        for a look that keeps a view for the next one (a run's note): every look that
        answers from the memo hashes its racily clean files itself, so one that changed
        after all still makes the view unused (:meth:`view` needs nothing changed)."""
        if self._read is not None and self._read[0] == (generation, recheck_racy):
            return self._read[1]
        prior = self._prior(generation, recheck_racy)
        self._read = ((generation, recheck_racy), prior)
        return prior

    def _prior(self, generation: str | None, recheck_racy: bool) -> Prior | None:
        if not self.look.rememberable:
            return None
        index = _read_index(self.index_path)
        if index is None or generation is None or index["generation"] != generation:
            return None
        now = time.time()
        if index["key"] != self.look.key or now >= index["valid_until"]:
            return None
        if is_in_future(index["taken_at"], now):  # by a clock that ran ahead: as wrong
            return None
        files = {**self.look.files, **_project_signatures(index["extra"])}
        if index["files"] != {path: list(sig) for path, sig in files.items()}:
            return None
        self._index = index
        taken_at = time.time()
        try:
            data = {name: _data_entry(entry) for name, entry in index["data"].items()}
            pipelines = {name: _names(names) for name, names in index["pipelines"].items()}
        except (TypeError, ValueError):  # not of the shape written: not trusted
            return None
        current = data_signatures(path for path, _, _, _ in data.values())
        changed, rechecked = _changed_data(data, current, recheck_racy)
        data_now = {name: (path, current[path], taken_at) for name, (path, *_) in data.items()}
        versions = {name: version for name, (_, _, version, _) in data.items()}
        return Prior(
            index["token"],
            changed,
            pipelines,
            data_now,
            taken_at,
            rechecked,
            self.verdicts_path,
            versions,
        )

    def settle(self, prior: Prior) -> None:
        """After a look that found nothing changed but had to hash racily clean files: keep
        their signatures as taken now, so the next look does not hash them again (those
        still too recent stay racy). The verdicts and views stand."""
        if self._index is None or prior.changed or not prior.rechecked:
            return
        kept = self._index["data"]
        if not any(
            is_racy(sig[1], kept[name][3]) and not is_racy(sig[1], prior.taken_at)
            for name, (_, sig, _) in prior.data.items()
        ):
            return  # the racy ones would all still be racy
        data = {
            name: (path, sig, prior.versions[name], read_at)
            for name, (path, sig, read_at) in prior.data.items()
        }
        index = {**self._index, "data": data}
        _replace(self.index_path, _json(index))

    def view(self, name: str, prior: Prior) -> Any | None:
        """What was kept as ``name`` for the evaluation ``prior`` stands for, if nothing of
        it changed since."""
        if prior.changed:
            return None
        try:
            kept = json.loads(self._view_path(name).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return None
        if not isinstance(kept, dict) or kept.get("token") != prior.token:
            return None
        return kept.get("view")

    def keep_view(self, name: str, view: Any, token: str) -> None:
        """Keep ``view`` (what a command printed, in plain values; secrets are masked) as
        ``name``, for the evaluation ``token`` stands for (a clean :class:`Prior`'s, or
        :attr:`written`): a later look finds it while that evaluation stands."""
        text = json.dumps({"token": token, "view": view})
        _replace(self._view_path(name), redact(text).encode())

    def _view_path(self, name: str) -> Path:
        return self.index_path.with_name(f"view-{self.look.env}-{name}.json")

    def remember(
        self,
        *,
        statuses: Mapping[str, AssetStatus],
        nodes: Mapping[str, NodeState],
        data: Mapping[str, DataEntry],
        seen: Mapping[str, str | None],
        generation: str | None,
        catalog: DataCatalog,
    ) -> None:
        """Keep this evaluation for the next process, if it can be vouched for: every asset
        a local file (``data``: each one's path, the signature its verdict rested on and
        when that was read; ``seen``: the version its content was found to have), no
        project file changed while it loaded, no freshness limit crossed already."""
        if not self.look.rememberable or generation is None or data.keys() != statuses.keys():
            return
        extra = self._extra_files()
        valid_until = _valid_until(catalog, statuses.values())
        if extra is None or valid_until is None or _racy(self.look.files, self.look.taken_at):
            return
        token = secrets.token_hex(8)
        verdicts = {
            "token": token,
            "statuses": dict(statuses),
            # A node's parts (what its fingerprint was made from) are not kept: for 10,000
            # nodes they are half the file, and a reused node's fingerprint stands for them.
            "nodes": {
                name: (n.fingerprint, n.data_time, n.status, n.reason, n.upstream_only)
                for name, n in nodes.items()
            },
        }
        index = {
            "format": MEMO_FORMAT,
            "token": token,
            "key": self.look.key,
            "generation": generation,
            "files": {path: list(sig) for path, sig in {**self.look.files, **extra}.items()},
            "extra": sorted(extra),
            "taken_at": self.look.taken_at,
            "valid_until": valid_until,
            "data": {
                name: (path, sig, seen.get(name, statuses[name].version), read_at)
                for name, (path, sig, read_at) in data.items()
            },
            "pipelines": {name: sorted(names) for name, names in self._pipelines.items()},
        }
        # The verdicts first: an index is never found pointing at verdicts not yet written.
        _replace(self.verdicts_path, pickle.dumps(verdicts, protocol=pickle.HIGHEST_PROTOCOL))
        _replace(self.index_path, _json(index))
        self._index, self.written = index, token

    @property
    def written_at_generation(self) -> str | None:
        """The state store's generation the evaluation this memo kept was judged at."""
        return self._index["generation"] if self.written is not None and self._index else None

    def restamp(self, generation: str) -> None:
        """The evaluation this memo kept, at the state store's new ``generation``: what moved
        it was only the recording of what that evaluation itself observed."""
        if self.written is None or self._index is None:
            return
        self._index = {**self._index, "generation": generation}
        _replace(self.index_path, _json(self._index))

    def _extra_files(self) -> dict[str, Signature] | None:
        """The other project files the code hashes read, and their folders (a module added
        beside one may shadow it), with those the memo read back depended on (a node judged
        from it hashed no code this time); None if one changed while it was read."""
        inside = [p for p in parsed_files() if p.is_relative_to(self.look.root)]
        paths = {str(p) for p in inside} | {str(p.parent) for p in inside}
        paths |= set(self._index["extra"] if self._index is not None else ())
        extra = _project_signatures(p for p in sorted(paths) if p not in self.look.files)
        return None if _racy(extra, self.look.taken_at) else extra


class _DatasetsOf(Mapping[str, Iterable[str]]):
    """Each pipeline's datasets, worked out only if a memo is written."""

    def __init__(self, pipelines: Mapping[str, Any]) -> None:
        self._pipelines = pipelines

    def __getitem__(self, name: str) -> Iterable[str]:
        return self._pipelines[name].datasets()  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[str]:
        return iter(self._pipelines)

    def __len__(self) -> int:
        return len(self._pipelines)


def _read_index(path: Path) -> dict[str, Any] | None:
    """The index if it has the shape this module writes (a file cut short, hand-edited or
    planted is ignored)."""
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return index if _is_index(index) else None


def data_signatures(paths: Iterable[str]) -> dict[str, DataSignature]:
    """Size, mtime and inode of each data file, as its dataset signs it (a missing one:
    all -1)."""
    found: dict[str, DataSignature] = {}
    for path in paths:
        try:
            s = os.stat(path)
        except (OSError, ValueError):  # gone, or not a path
            found[path] = _NO_FILE
            continue
        found[path] = (s.st_size, s.st_mtime_ns, s.st_ino)
    return found


def data_signature(signature: Mapping[str, Any] | None) -> DataSignature:
    """A local file dataset's signature (``{size, mtime_ns, inode}``) as the memo keeps it."""
    if signature is None:
        return _NO_FILE
    return (int(signature["size"]), int(signature["mtime_ns"]), int(signature["inode"]))


def _project_signatures(paths: Iterable[str]) -> dict[str, Signature]:
    """Each project file's size, mtime, inode and ctime (the ctime moves on every change,
    even one whose mtime was set back: ``os.utime``, ``cp -p``), and each folder's names."""
    found: dict[str, Signature] = {}
    for path in paths:
        try:
            s = os.stat(path)
        except (OSError, ValueError):
            found[path] = _MISSING
            continue
        if stat.S_ISDIR(s.st_mode):
            found[path] = _listing(path)
        else:
            found[path] = (s.st_size, s.st_mtime_ns, s.st_ino, s.st_ctime_ns)
    return found


def _listing(folder: str) -> Signature:
    """A folder by the names in it, what could be a module or a configuration file: not by
    its mtime, which moves when Python writes ``__pycache__/`` or Aether ``.aether/``."""
    try:
        names = sorted(n for n in os.listdir(folder) if n != "__pycache__" and n[:1] != ".")
    except OSError:
        return _MISSING
    # fsencode: a name that is not UTF-8 (a file from another system) is bytes as it is.
    digest = hashlib.blake2b(b"\0".join(map(os.fsencode, names)), digest_size=8).digest()
    return (_FOLDER, int.from_bytes(digest, "big"), 0, 0)


def _data_entry(entry: Any) -> tuple[str, DataSignature, str | None, float]:
    """``[path, [size, mtime, inode], version or null, read at]`` read back; TypeError or
    ValueError if it is not that."""
    path, (size, mtime, inode), version, read_at = entry
    numbers = (size, mtime, inode)
    if type(path) is not str or not all(type(n) is int for n in numbers):
        raise TypeError("not a data entry")
    if (version is not None and type(version) is not str) or type(read_at) is not float:
        raise TypeError("not a version")
    return path, numbers, version, read_at


def _names(names: Any) -> tuple[str, ...]:
    if not isinstance(names, list) or not all(type(n) is str for n in names):
        raise TypeError("not a list of names")
    return tuple(names)


def _changed_data(
    data: Mapping[str, tuple[str, DataSignature, str | None, float]],
    now: Mapping[str, DataSignature],
    recheck_racy: bool = True,
) -> tuple[frozenset[str], int]:
    """The assets whose file is not as remembered (``data``: path, signature, version, when
    the signature was read): its signature moved, or it is racily clean (modified too close
    to when its signature was read) and its content differs (not looked at unless
    ``recheck_racy``); and how many racily clean files were hashed."""
    changed, rechecked = set(), 0
    for name, (path, signature, version, read_at) in data.items():
        current = now[path]
        if current != signature:
            changed.add(name)
        elif recheck_racy and is_racy(current[1], read_at):
            rechecked += 1
            if not _same_content(path, version):
                changed.add(name)
    return frozenset(changed), rechecked


def _same_content(path: str, version: str | None) -> bool:
    """Whether the file at ``path`` holds the content of ``version`` (a content hash)."""
    from aether.datasets.file_hashes import CONTENT_HASH_MAX_BYTES, sha256

    if version is None or not version.startswith("sha256:"):
        return False
    try:
        with open(path, "rb") as file:
            if os.fstat(file.fileno()).st_size > CONTENT_HASH_MAX_BYTES:
                return False
            return sha256(file) == version
    except OSError:
        return False


def _valid_until(catalog: DataCatalog, statuses: Iterable[AssetStatus]) -> float | None:
    """When a verdict would change with the clock alone: a freshness limit crossed, a data
    time from a clock that ran ahead no longer ahead (None: a limit is crossed already, so
    the verdict shows an age that grows)."""
    now = time.time()
    until = now + 365 * 86400.0
    for status in statuses:
        if status.data_time is None:
            continue
        if status.data_time > now + _FUTURE_TOLERANCE:
            until = min(until, status.data_time - _FUTURE_TOLERANCE)
        entry = catalog.entries.get(status.name)
        if entry is None or not entry.freshness:
            continue
        for key in ("warn_after", "error_after"):
            limit = parse_duration(entry.freshness.get(key), status.name, entry.where)
            if limit is None:
                continue
            crossing = status.data_time + limit
            if crossing <= now:
                return None
            until = min(until, crossing)
    return until


def _racy(files: Mapping[str, Signature], taken_at: float) -> bool:
    """Whether a file was modified too close to ``taken_at`` to vouch for what was read."""
    return any(s[0] != _FOLDER and is_racy(s[1], taken_at) for s in files.values())


def is_racy(mtime_ns: int, read_at: float) -> bool:
    """Whether a file last modified at ``mtime_ns`` may have changed again, after its
    signature was read at ``read_at``, without its mtime moving: modified within one tick
    of its filesystem's clock before the read. A filesystem that keeps whole seconds (FAT,
    HFS+, ext3: the nanoseconds are 0) ticks every second or two (:data:`RACY_SECONDS`);
    one that keeps nanoseconds ticks with the kernel's coarse clock, every few
    milliseconds (:data:`FINE_RACY_SECONDS` leaves four times that)."""
    whole_seconds = mtime_ns % 1_000_000_000 == 0
    window = RACY_SECONDS if whole_seconds else FINE_RACY_SECONDS
    return mtime_ns >= (read_at - window) * 1e9


def _module_folders(root: Path) -> list[str]:
    """The folders code hashes look for modules in, besides the source folder: the root,
    ``src/`` and any import path inside the project (``python -m``'s current folder,
    ``PYTHONPATH``). A module added there may shadow one found further down that list."""
    folders = {str(root), str(root / "src")}
    for entry in filter(None, sys.path):
        if os.path.isabs(entry) and Path(entry).is_relative_to(root):
            folders.add(entry)
    return sorted(folders)


def _tree(top: Path, suffix: str) -> list[str]:
    """Every folder under ``top`` and every file ending in ``suffix``: a folder's signature
    changes when a file is added or removed in it. Symlinked folders are followed (a
    ``conf/base`` shared between projects is read as the project's), each once."""
    found, seen = [], set()
    for folder, subfolders, names in os.walk(top, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:  # a link back up: walked already
            subfolders[:] = []
            continue
        seen.add(real)
        subfolders[:] = [s for s in subfolders if s != "__pycache__"]
        found.append(folder)
        found += [os.path.join(folder, n) for n in names if n.endswith(suffix)]
    return sorted(found)


def _env_hash(conf_files: list[str]) -> str:
    """One hash of the values of the environment variables ``conf/`` reads; of those
    ``credentials.yml`` reads, only whether each is set (loading refuses an unset one): a
    secret's hash is never kept."""
    values: set[str] = set()
    set_or_not: set[str] = set()
    for path in conf_files:
        if not os.path.isfile(path):
            continue
        try:
            found = _ENV_REFERENCE.findall(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        credentials = os.path.basename(path).startswith("credentials")
        (set_or_not if credentials else values).update(found)
    digest = hashlib.sha256()
    for name in sorted(values):
        digest.update(f"{name}\0{os.environ.get(name)}\0".encode())
    for name in sorted(set_or_not):
        digest.update(f"{name}\0{name in os.environ}\0".encode())
    return digest.hexdigest()


def _runtime() -> str:
    """This Aether's version (each commit has its own) and the Python it runs on."""
    try:
        from aether._version import __version__
    except ImportError:  # a source tree never built or installed: no version file
        __version__ = "unknown"
    return f"{__version__} {sys.implementation.cache_tag}"


def _json(index: Mapping[str, Any]) -> bytes:
    # Plain values only, no cycles to check for: the encoder's fastest settings.
    return json.dumps(index, check_circular=False, separators=(",", ":")).encode()


def _replace(target: Path, data: bytes) -> None:
    temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(data)
        os.replace(temporary, target)
    except OSError:  # a read-only or full disk: the project is judged, in full every time
        with contextlib.suppress(OSError):
            temporary.unlink()


_KEYS = {
    "format", "token", "key", "generation", "files", "extra", "taken_at", "valid_until",
    "data", "pipelines",
}  # fmt: skip


def _is_index(index: Any) -> bool:
    if not isinstance(index, dict) or index.keys() != _KEYS or index["format"] != MEMO_FORMAT:
        return False
    if not all(isinstance(index[k], str) for k in ("token", "key", "generation")):
        return False
    if not all(isinstance(index[k], float) for k in ("taken_at", "valid_until")):
        return False
    files, extra, pipelines = index["files"], index["extra"], index["pipelines"]
    if not (isinstance(files, dict) and isinstance(extra, list) and isinstance(pipelines, dict)):
        return False
    # Each data entry ([path, [size, mtime, inode, ctime], version]) is checked as it is
    # read (_data_entry): one pass over 10,000 of them, not two.
    return all(isinstance(p, str) for p in extra) and isinstance(index["data"], dict)


# The classes a remembered evaluation is made of; anything else in the file is refused.
_ALLOWED = {
    ("aether.assets.status", "AssetStatus"),
    ("aether.assets.status", "NodeState"),
    ("aether.verdicts", "Status"),
    ("aether.verdicts", "ReasonKind"),
    ("aether.verdicts", "Reason"),
    ("aether.state.base", "CheckResult"),
    ("aether.checks", "CheckSpec"),
}


class _VerdictUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a verdict")
        return super().find_class(module, name)
