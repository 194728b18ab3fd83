"""The ``aether`` command's entry point: ``aether --help`` from a cache, the rest through Typer.

Importing Typer and building the command tree costs most of ``aether --help``'s time, and
the text it prints changes only with Aether itself. So the help is printed from a file in
the user's cache folder (``$XDG_CACHE_HOME/aether`` or ``~/.cache/aether``) named after
what it depends on: the Aether version, the command definitions' file (so an edit in an
editable install shows at once) and the terminal width. A missing or unwritable cache only
means the help is rendered, as every other command is.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sys
from pathlib import Path

HELP_ARGUMENTS = (["--help"], ["-h"])


def main() -> None:
    """Console entry point (``aether``)."""
    if sys.argv[1:] not in HELP_ARGUMENTS:
        from aether.cli.app import main as run_app

        try:
            run_app()
        except SystemExit as stop:
            _leave_without_lingering_threads(stop.code)
            raise
        _leave_without_lingering_threads(0)
        return
    cached = help_path()
    try:
        sys.stdout.write(cached.read_text(encoding="utf-8"))
        return
    except (OSError, UnicodeDecodeError):
        pass
    text, code = _rendered_help()
    sys.stdout.write(text)
    if code not in (0, None):
        sys.exit(code)
    _store(cached, text)


# How long Python's own shutdown may wait for threads before they are taken as left behind:
# idle pool workers (an executor a library made, asyncio's) leave within it on their own.
_SHUTDOWN_GRACE_SECONDS = 5.0


def _leave_without_lingering_threads(code: int | str | None) -> None:
    """Make sure ``aether`` exits once its command is over, whatever threads are left.

    Python waits for every non-daemon thread before it exits, so a thread a transformation
    started and never stopped would keep ``aether`` alive after its run was over (with the
    project lock released and the summary printed, nothing of Aether's is left to finish).
    A watchdog gives the normal shutdown a few seconds (idle executor threads leave by
    themselves), then names the threads still running and exits. Only the command does
    this: a user's own process calling the Python API keeps its threads.
    """
    import threading

    if not _lingering():
        return
    status = code if isinstance(code, int) else (0 if code is None else 1)

    def exit_after_grace() -> None:
        import time

        time.sleep(_SHUTDOWN_GRACE_SECONDS)
        names = _lingering()
        sys.stderr.write(
            f"warning: not waiting for {len(names)} thread(s) a node left running "
            f"({', '.join(sorted(names)[:5])}); a transformation should stop what it starts\n"
        )
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(status)

    threading.Thread(target=exit_after_grace, name="aether-exit", daemon=True).start()


def _lingering() -> list[str]:
    import threading

    return [
        thread.name
        for thread in threading.enumerate()
        if thread.is_alive() and not thread.daemon and thread is not threading.main_thread()
    ]


def help_path() -> Path:
    """Where the help for this Aether, these command definitions and this width is kept."""
    from aether import __version__

    app_file = Path(__file__).with_name("app.py")
    try:
        found = app_file.stat()
        definitions = f"{found.st_size}:{found.st_mtime_ns}"
    except OSError:
        definitions = "?"
    key = f"{__version__}\0{app_file}\0{definitions}\0{_columns()}"
    name = f"help-{hashlib.sha256(key.encode()).hexdigest()[:20]}.txt"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "aether" / name


def _columns() -> str:
    """The width the help is wrapped to (``COLUMNS``, else the terminal's, as Click does)."""
    if os.environ.get("COLUMNS"):
        return os.environ["COLUMNS"]
    stdout = sys.__stdout__  # None when Python was started without one
    if stdout is None:
        return "80"
    try:
        return str(os.get_terminal_size(stdout.fileno()).columns)
    except (AttributeError, ValueError, OSError):
        return "80"


def _rendered_help() -> tuple[str, int | str | None]:
    """What Typer prints for ``aether --help``, and the exit code it asks for."""
    from aether.cli.app import main as run_app

    buffer = io.StringIO()
    code: int | str | None = 0
    with contextlib.redirect_stdout(buffer):
        try:
            run_app()
        except SystemExit as exit_:
            code = exit_.code
    return buffer.getvalue(), code


def _store(path: Path, text: str) -> None:
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
