"""One run at a time per project: the lock file ``.aether/run.lock``.

The file is created atomically (``O_CREAT | O_EXCL``) and holds who owns it: pid, host, run id,
start time, and the process's own start time (``/proc/<pid>/stat`` on Linux), so a second run
can say whom it waits for. A lock whose holder is gone is taken over: same host and the pid no
longer exists, or the pid now belongs to a process that started at another time (pid reuse),
or the file is unreadable and older than a few seconds (a holder writes its details right
after creating it). A lock from another host cannot be checked: the run is refused at once,
naming the holder, its age and ``aether unlock --force``. ``aether status`` needs no lock.

Example::

    with ProjectLock(ProjectPaths(root).run_lock, run_id, on_wait=print_waiting):
        run_the_pipeline()
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from types import TracebackType

from aether.configuration import durability
from aether.errors import LockError, StateError
from aether.project.paths import ProjectPaths
from aether.support.durations import format_elapsed

GARBAGE_GRACE_SECONDS = 5.0
PID_START_SLACK_SECONDS = 2.0  # btime and clock ticks are coarse; a holder writes at once
UNLOCK_COMMAND = "aether unlock --force"
_HELD_HERE: set[Path] = set()  # lock files this process holds (its own pid in a file may be stale)


class LockVerdict(str, Enum):
    """What a lock file on disk amounts to, seen from this process."""

    ABSENT = "absent"
    LIVE = "live"  # same host, and its process is the one that wrote it
    STALE = "stale"  # same host, and that process is gone (or its pid was reused)
    OTHER_HOST = "other host"  # written on another machine: liveness cannot be checked
    UNREADABLE = "unreadable"  # no holder details (being written, or garbage)


@dataclass(frozen=True)
class LockHolder:
    """Who holds the lock, as read from the lock file.

    ``pid_started``: the holder process's start time in clock ticks since boot (field 22 of
    ``/proc/<pid>/stat``); None where there is no /proc, or in a lock written before it.
    """

    pid: int
    host: str
    run_id: str
    started_at: float
    pid_started: int | None = None

    def describe(self, now: float | None = None) -> str:
        """E.g. ``run r1 (pid 123 on host h, started 2024-01-01 12:00:01 +0100, 5m 3s ago)``."""
        moment = datetime.fromtimestamp(self.started_at).astimezone()
        age = format_elapsed((time.time() if now is None else now) - self.started_at)
        started = moment.strftime("%Y-%m-%d %H:%M:%S %z")
        return (
            f"run {self.run_id} (pid {self.pid} on host {self.host}, started {started}, {age} ago)"
        )


class ProjectLock:
    """The project's run lock at ``path`` (normally ``<root>/.aether/run.lock``).

    ``wait=False`` raises LockError at once when another live run holds it; otherwise it
    polls every ``poll_interval`` seconds, calling ``on_wait(holder)`` once, until it gets the
    lock or ``timeout`` seconds pass (LockError). Release removes the file only while it still
    names this run.
    """

    def __init__(
        self,
        path: Path | str,
        run_id: str,
        *,
        wait: bool = True,
        timeout: float | None = None,
        on_wait: Callable[[LockHolder], None] | None = None,
        poll_interval: float = 0.2,
    ) -> None:
        self.path = Path(path)
        self.run_id = run_id
        self.wait = wait
        self.timeout = timeout
        self.on_wait = on_wait
        self.poll_interval = poll_interval
        self.held = False

    @classmethod
    def for_project(
        cls,
        project_root: Path,
        run_id: str,
        *,
        wait: bool = True,
        timeout: float | None = None,
        on_wait: Callable[[LockHolder], None] | None = None,
    ) -> ProjectLock:
        """The lock of the project at ``project_root``: ``.aether/run.lock``."""
        path = ProjectPaths(project_root).run_lock
        return cls(path, run_id, wait=wait, timeout=timeout, on_wait=on_wait)

    def acquire(self) -> None:
        """Take the lock, waiting or raising LockError as configured."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        told = False
        while True:
            if self._create():
                break
            holder = _read_holder(self.path)
            if holder is not None and holder.host != socket.gethostname():
                raise _other_host_error(holder)  # before touching anything
            if self._take_over_if_stale():
                break
            if not self.wait or (deadline is not None and time.monotonic() >= deadline):
                who = (
                    holder.describe() if holder else "another run (its lock file is being written)"
                )
                waited = "" if not self.wait else f" after waiting {self.timeout:g}s"
                raise LockError(
                    f"The project is locked by {who}{waited}",
                    hint="wait for it to finish; if that process is gone, `aether unlock` "
                    f"removes {self.path}",
                )
            if holder is not None and not told and self.on_wait is not None:
                self.on_wait(holder)
                told = True
            time.sleep(self.poll_interval)
        self.held = True
        _HELD_HERE.add(self.path.resolve())

    def release(self) -> None:
        """Give the lock back; leaves the file alone if someone else owns it by now."""
        if not self.held:
            return
        self.held = False
        _HELD_HERE.discard(self.path.resolve())
        holder = _read_holder(self.path)
        if holder is not None and holder.run_id == self.run_id and holder.pid == os.getpid():
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    def __enter__(self) -> ProjectLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def _content(self) -> bytes:
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "run_id": self.run_id,
            "started_at": time.time(),
            "pid_started": process_start_ticks(os.getpid()),
        }
        return json.dumps(info).encode()

    def _create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        try:
            os.write(fd, self._content())
            # Flushed only under `durability: power-loss`: any process crash leaves the
            # details in the page cache, and a file a power cut left empty is unreadable,
            # taken over once older than GARBAGE_GRACE_SECONDS, so the run needs no fsync.
            durability.sync_file(fd)
        except OSError as exc:
            os.close(fd)
            # An empty or partial lock file would be read as another run's: take it back.
            with contextlib.suppress(OSError):
                self.path.unlink()
            raise _unwritable_lock(self.path, exc) from None
        os.close(fd)
        return True

    def _take_over_if_stale(self) -> bool:
        """Replace a dead holder's lock; True when this run owns the lock afterwards."""
        with _takeover_guard(self.path):
            before = _read_bytes(self.path)
            if before is None or not self._is_stale(before):
                return False
            temp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            try:
                temp.write_bytes(self._content())
            except OSError as exc:
                with contextlib.suppress(OSError):
                    temp.unlink()
                raise _unwritable_lock(self.path, exc) from None
            os.replace(temp, self.path)
        holder = _read_holder(self.path)
        return holder is not None and holder.run_id == self.run_id and holder.pid == os.getpid()

    def _is_stale(self, content: bytes) -> bool:
        verdict = _verdict(self.path, _parse_holder(content))
        if verdict is LockVerdict.UNREADABLE:
            return _older_than_grace(self.path)
        return verdict is LockVerdict.STALE


def examine_lock(path: Path) -> tuple[LockVerdict, LockHolder | None]:
    """What the lock file at ``path`` amounts to, and who wrote it (when readable)."""
    content = _read_bytes(path)
    if content is None:
        return LockVerdict.ABSENT, None
    holder = _parse_holder(content)
    return _verdict(path, holder), holder


def break_lock(path: Path, *, force: bool = False) -> tuple[LockVerdict, LockHolder | None]:
    """Remove a lock whose holder is gone (``aether unlock``); returns what was there.

    A live holder on this host is never removed (stop that run instead); another host's
    lock, whose holder cannot be checked from here, only with ``force``.
    """
    content = _read_bytes(path)
    verdict, holder = examine_lock(path)
    if verdict is LockVerdict.LIVE and holder is not None:
        raise LockError(
            f"The project lock is held by {holder.describe()}, which is running",
            hint=f"let it finish, or stop it (kill {holder.pid}); its lock goes with it",
        )
    if verdict is LockVerdict.OTHER_HOST and holder is not None and not force:
        raise _other_host_error(holder)
    if verdict is LockVerdict.UNREADABLE and not force and not _older_than_grace(path):
        raise LockError(
            f"{path} is being written by a run that is starting",
            hint="try again in a few seconds, or pass --force",
        )
    if verdict is not LockVerdict.ABSENT:
        with _takeover_guard(path):
            if _read_bytes(path) == content:  # not replaced by a run meanwhile
                path.unlink()
    return verdict, holder


def process_start_ticks(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks since boot; None if unknown (no /proc)."""
    fields = _proc_stat(pid)
    try:
        return int(fields[19])  # field 22 of the whole line
    except (IndexError, ValueError):
        return None


def _proc_stat(pid: int) -> list[str]:
    """Fields 3 onward of ``/proc/<pid>/stat`` (empty without /proc or such a process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    # The command name (field 2) may hold spaces and parentheses: count from the last ")".
    return stat[stat.rindex(")") + 2 :].split()


def _verdict(path: Path, holder: LockHolder | None) -> LockVerdict:
    if holder is None:
        return LockVerdict.UNREADABLE
    if holder.host != socket.gethostname():
        return LockVerdict.OTHER_HOST
    if holder.pid == os.getpid():
        # Our own pid: stale unless this process really holds it (pid reused, e.g. pid 1
        # in a restarted container).
        held = path.resolve() in _HELD_HERE
        return LockVerdict.LIVE if held else LockVerdict.STALE
    if not _pid_alive(holder.pid):
        return LockVerdict.STALE
    live_start = process_start_ticks(holder.pid)
    if holder.pid_started is not None and live_start is not None:
        # The pid is alive, but is it the holder? A different start time means reuse.
        return LockVerdict.LIVE if live_start == holder.pid_started else LockVerdict.STALE
    started = _started_epoch(live_start)
    if started is not None and started > holder.started_at + PID_START_SLACK_SECONDS:
        # A lock without the holder's start time (an older Aether's): a process that
        # started after the lock was written cannot have written it.
        return LockVerdict.STALE
    return LockVerdict.LIVE  # no start times to compare: pid liveness is all we have


def _started_epoch(ticks: int | None) -> float | None:
    """When a process that started ``ticks`` clock ticks after boot started (Unix time)."""
    if ticks is None:
        return None
    try:
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, StopIteration, IndexError):
        return None


def _other_host_error(holder: LockHolder) -> LockError:
    return LockError(
        f"The project is locked by {holder.describe()}, on another host, whose process "
        "cannot be checked from here",
        hint=f"if that run is over, break the lock with: {UNLOCK_COMMAND}",
    )


def _older_than_grace(path: Path) -> bool:
    try:
        return time.time() - path.stat().st_mtime > GARBAGE_GRACE_SECONDS
    except FileNotFoundError:
        return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    except OSError:
        return False
    # A zombie (ended, not yet reaped by its parent) still answers kill(0) but holds nothing.
    return _proc_stat(pid)[:1] != ["Z"]


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):  # no lock (.aether may be a file)
        return None
    except OSError as exc:  # a directory, or a file this user cannot read: no lock of ours
        raise LockError(
            f"Cannot read the run lock {path}: {exc.strerror or exc}",
            hint=f"if no run is going on, remove it (rm -r '{path}') and run again",
        ) from exc


def _unwritable_lock(path: Path, exc: OSError) -> StateError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StateError(
            f"The disk holding {path} is full; nothing was run",
            hint="free some space and run again (the project's state is untouched)",
        )
    return StateError(
        f"Cannot write the run lock {path} ({exc.strerror or exc})",
        hint=f"check that {path.parent} is writable by this user and run again",
    )


def _read_holder(path: Path) -> LockHolder | None:
    content = _read_bytes(path)
    return None if content is None else _parse_holder(content)


def _parse_holder(content: bytes) -> LockHolder | None:
    try:
        info = json.loads(content)
        ticks = info.get("pid_started")
        return LockHolder(
            int(info["pid"]),
            str(info["host"]),
            str(info["run_id"]),
            float(info["started_at"]),
            None if ticks is None else int(ticks),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


@contextlib.contextmanager
def _takeover_guard(path: Path) -> Iterator[None]:
    """Serialize take-overs on this host so two runs cannot both replace a stale lock."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; take-overs race only with another take-over
        yield
        return
    guard = path.with_name(path.name + ".takeover")
    with open(guard, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
