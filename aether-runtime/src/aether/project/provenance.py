"""Where a run's code came from: the git commit checked out (and whether the work tree
differed from it) and the lockfile pinning its dependencies. Recorded once per run that runs
a node, so ``aether show RUN_ID`` can say how to reproduce it. Imports only the standard
library; git is asked, never required.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

# The lockfiles a project may pin its dependencies with, the first found wins.
LOCKFILES = ("uv.lock", "poetry.lock", "pdm.lock", "requirements.lock", "requirements.txt")

# git status walks the work tree: bounded, so a huge checkout on a slow disk cannot hold a run.
GIT_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Provenance:
    """The code a run ran.

    Attributes:
        git_commit: The commit checked out, or None (not a git work tree, or no git).
        git_dirty: Whether tracked files differ from it or new files are not ignored
            (None when unknown).
        lockfile: The lockfile's name relative to the project, or None.
        lockfile_hash: Its ``sha256:`` digest, or None.
    """

    git_commit: str | None = None
    git_dirty: bool | None = None
    lockfile: str | None = None
    lockfile_hash: str | None = None


def provenance(root: Path) -> Provenance:
    """The git state of ``root``'s work tree and the digest of its lockfile."""
    commit, dirty = git_state(root)
    name, digest = lockfile_digest(root)
    return Provenance(commit, dirty, name, digest)


def git_state(root: Path) -> tuple[str | None, bool | None]:
    """(commit, dirty) of the git work tree holding ``root``; (None, None) outside one."""
    commit = _git(root, "rev-parse", "--verify", "--quiet", "HEAD")
    if not commit:
        return None, None
    status = _git(root, "status", "--porcelain", "--untracked-files=normal")
    return commit, None if status is None else bool(status)


def lockfile_digest(root: Path) -> tuple[str | None, str | None]:
    """(name, ``sha256:`` digest) of the project's lockfile, or (None, None)."""
    for name in LOCKFILES:
        path = root / name
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            continue
        return name, f"sha256:{digest}"
    return None, None


def _git(root: Path, *args: str) -> str | None:
    # GIT_OPTIONAL_LOCKS=0: `git status` must not take the index lock a user's own git
    # command may be waiting for.
    environment = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            env=environment,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip()
