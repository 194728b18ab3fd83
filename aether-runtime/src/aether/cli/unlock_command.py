"""``aether unlock``: remove the project's run lock when the run that held it is gone."""

from __future__ import annotations

from pathlib import Path

from aether.cli.output import say


def unlock_command(project: Path | None, force: bool, env: str | None = None) -> int:
    """Remove the run lock file if its holder is gone (``force``: even another host's)."""
    from aether.configuration.conf_folder import DEFAULT_ENV
    from aether.project.context import choose_env, find_project_root, read_settings
    from aether.state.location import StateLocation
    from aether.state.lock import LockVerdict, break_lock

    root = project.resolve() if project else find_project_root()
    chosen, _ = choose_env(env, read_settings(root))
    location = StateLocation.choose(root, chosen or DEFAULT_ENV)
    if location.shared:
        say(
            f"Nothing to remove: the run lock of the shared state store {location.shown} "
            "frees itself when the run holding it ends (even if it is killed)."
        )
        return 0
    path = location.lock_file
    verdict, holder = break_lock(path, force=force)
    if verdict is LockVerdict.ABSENT:
        say(f"No lock to remove: {path} does not exist.")
    elif holder is None:
        say(f"Removed {path} (it named no holder).")
    else:
        gone = "on another host" if verdict is LockVerdict.OTHER_HOST else "no longer running"
        say(f"Removed the lock of {holder.describe()}, {gone}.")
    return 0
