"""``aether unlock``: remove the project's run lock when the run that held it is gone."""

from __future__ import annotations

from pathlib import Path

from aether.cli.output import say


def unlock_command(project: Path | None, force: bool) -> int:
    """Remove ``.aether/run.lock`` if its holder is gone (``force``: even another host's)."""
    from aether.project.context import find_project_root
    from aether.project.paths import ProjectPaths
    from aether.state.lock import LockVerdict, break_lock

    root = project.resolve() if project else find_project_root()
    path = ProjectPaths(root).run_lock
    verdict, holder = break_lock(path, force=force)
    if verdict is LockVerdict.ABSENT:
        say(f"No lock to remove: {path} does not exist.")
    elif holder is None:
        say(f"Removed {path} (it named no holder).")
    else:
        gone = "on another host" if verdict is LockVerdict.OTHER_HOST else "no longer running"
        say(f"Removed the lock of {holder.describe()}, {gone}.")
    return 0
