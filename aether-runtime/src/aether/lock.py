"""One run at a time per project: the lock file ``.aether/run.lock``.

The file is created atomically (``O_CREAT | O_EXCL``) and holds who owns it: pid, host, run id
and start time, so a second run can say whom it waits for. A lock whose holder is gone is taken
over: same host and the pid no longer exists, or the file is unreadable and older than a few
seconds (a holder writes its details right after creating it). ``aether status`` needs no lock.

Example::

    with ProjectLock(root / ".aether" / "run.lock", run_id, on_wait=print_waiting):
        run_the_pipeline()
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType

from aether.errors import LockError

GARBAGE_GRACE_SECONDS = 5.0
_HELD_HERE: set[Path] = set()  # lock files this process holds (its own pid in a file may be stale)


@dataclass(frozen=True)
class LockHolder:
    """Who holds the lock, as read from the lock file."""

    pid: int
    host: str
    run_id: str
    started_at: float

    def describe(self) -> str:
        """E.g. ``run 20240101-1200-ab12 (pid 123 on host h, started 12:00:01)``."""
        started = datetime.fromtimestamp(self.started_at).strftime("%H:%M:%S")
        return f"run {self.run_id} (pid {self.pid} on host {self.host}, started {started})"


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
        path = project_root / ".aether" / "run.lock"
        return cls(path, run_id, wait=wait, timeout=timeout, on_wait=on_wait)

    def acquire(self) -> None:
        """Take the lock, waiting or raising LockError as configured."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        told = False
        while True:
            if self._create() or self._take_over_if_stale():
                self.held = True
                _HELD_HERE.add(self.path.resolve())
                return
            holder = _read_holder(self.path)
            if not self.wait or (deadline is not None and time.monotonic() >= deadline):
                who = (
                    holder.describe() if holder else "another run (its lock file is being written)"
                )
                waited = "" if not self.wait else f" after waiting {self.timeout:g}s"
                raise LockError(
                    f"The project is locked by {who}{waited}",
                    hint=f"wait for it to finish, or remove {self.path} if that process is gone",
                )
            if holder is not None and not told and self.on_wait is not None:
                self.on_wait(holder)
                told = True
            time.sleep(self.poll_interval)

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
        }
        return json.dumps(info).encode()

    def _create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        try:
            os.write(fd, self._content())
            os.fsync(fd)
        finally:
            os.close(fd)
        return True

    def _take_over_if_stale(self) -> bool:
        """Replace a dead holder's lock; True when this run owns the lock afterwards."""
        with _takeover_guard(self.path):
            before = _read_bytes(self.path)
            if before is None or not self._is_stale(before):
                return False
            temp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            temp.write_bytes(self._content())
            os.replace(temp, self.path)
        holder = _read_holder(self.path)
        return holder is not None and holder.run_id == self.run_id and holder.pid == os.getpid()

    def _is_stale(self, content: bytes) -> bool:
        holder = _parse_holder(content)
        if holder is None:
            try:
                age = time.time() - self.path.stat().st_mtime
            except FileNotFoundError:
                return False
            return age > GARBAGE_GRACE_SECONDS
        if holder.host != socket.gethostname():
            return False  # cannot tell whether a process on another machine is alive
        if holder.pid == os.getpid():
            # Our own pid: stale unless this process really holds it (pid reused, e.g. pid 1
            # in a restarted container).
            return self.path.resolve() not in _HELD_HERE
        return not _pid_alive(holder.pid)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _read_holder(path: Path) -> LockHolder | None:
    content = _read_bytes(path)
    return None if content is None else _parse_holder(content)


def _parse_holder(content: bytes) -> LockHolder | None:
    try:
        info = json.loads(content)
        return LockHolder(
            int(info["pid"]), str(info["host"]), str(info["run_id"]), float(info["started_at"])
        )
    except (ValueError, KeyError, TypeError):
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
