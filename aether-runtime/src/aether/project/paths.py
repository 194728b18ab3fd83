"""`ProjectPaths`: where a project keeps its files, spelt in one place.

A project is a folder holding ``conf/base/``; ``src/`` (or ``[tool.aether] source_dir``)
holds its code, and ``.aether/`` is Aether's own: the state store, the run lock and caches.
Only paths: nothing here creates a file (``is_project`` alone looks at the disk), and it
imports only the standard library, so every layer may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CONF_FOLDER = "conf"
BASE_ENV_FOLDER = "base"
SOURCE_FOLDER = "src"
STATE_FOLDER = ".aether"
# The project's own files: its configuration, its code and Aether's state and lock. No
# dataset may be written there (aether.project.locations refuses it).
RESERVED_FOLDERS = (CONF_FOLDER, SOURCE_FOLDER, STATE_FOLDER)


@dataclass(frozen=True)
class ProjectPaths:
    """The files and folders of the project at ``root``.

    Args:
        root: The project folder (the one holding ``conf/base/``).
        source_dir: Its code folder, relative to ``root`` (``[tool.aether] source_dir``).
    """

    root: Path
    source_dir: str = SOURCE_FOLDER

    @property
    def conf(self) -> Path:
        """``conf/``: the configuration, one folder per environment."""
        return self.root / CONF_FOLDER

    @property
    def conf_base(self) -> Path:
        """``conf/base/``: the shared configuration; its presence makes a project."""
        return self.conf / BASE_ENV_FOLDER

    @property
    def source(self) -> Path:
        """The code folder put on the import path (``src/`` unless configured)."""
        return self.root / self.source_dir

    @property
    def pyproject(self) -> Path:
        """``pyproject.toml``, whose ``[tool.aether]`` holds the project's settings."""
        return self.root / "pyproject.toml"

    @property
    def state(self) -> Path:
        """``.aether/``: Aether's own folder (gitignored)."""
        return self.root / STATE_FOLDER

    @property
    def state_db(self) -> Path:
        """``.aether/state.db``: the state store."""
        return self.state / "state.db"

    @property
    def run_lock(self) -> Path:
        """``.aether/run.lock``: one run at a time."""
        return self.state / "run.lock"

    @property
    def cache(self) -> Path:
        """``.aether/cache/``: what may be thrown away (parsed YAML, status answers)."""
        return self.state / "cache"

    @property
    def reserved_folders(self) -> tuple[str, ...]:
        """The folders no dataset may be written into, relative to ``root``: ``conf``,
        ``src`` and the configured code folder, ``.aether``."""
        return tuple(dict.fromkeys((*RESERVED_FOLDERS, self.source_dir)))

    def is_project(self) -> bool:
        """Whether ``root`` holds ``conf/base/`` (the one mark of a project)."""
        return self.conf_base.is_dir()
