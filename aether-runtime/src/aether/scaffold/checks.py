"""What ``aether new`` checks before and after it renders: the destination, the template
source, the answers; and how a rendered project reaches its destination in one move."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from aether.errors import ConfigError
from aether.support.redaction import redact_url

COPIER_FILES = ("copier.yml", "copier.yaml")
# Sources copier fetches rather than reads from a folder.
REMOTE_PREFIXES = ("gh:", "gl:", "git@", "git+")


def check_destination(destination: Path) -> None:
    """Refuse a destination that is a file or a folder with something in it."""
    if destination.exists() and not destination.is_dir():
        raise ConfigError(
            f"{destination} is a file, not a folder",
            hint="pick a new folder name for the project",
        )
    if destination.is_dir() and any(destination.iterdir()):
        raise ConfigError(
            f"{destination} exists and is not empty",
            hint="pick a new folder name, or empty that folder first",
        )


def is_remote(source: str) -> bool:
    return "://" in source or source.startswith(REMOTE_PREFIXES)


def check_template_folder(source: str) -> None:
    """A local ``--template`` must be a folder with a copier.yml (copier renders any folder)."""
    if is_remote(source):
        return
    folder = Path(source).expanduser()
    if not folder.is_dir():
        raise ConfigError(
            f"The template folder {folder} does not exist",
            hint="pass --template (or AETHER_TEMPLATE) a template folder, a git URL or "
            "gh:org/repo; leave both unset for Aether's own template",
        )
    if not any((folder / name).is_file() for name in COPIER_FILES):
        raise ConfigError(
            f"{folder} is not a copier template (no copier.yml in it)",
            hint="point --template at the template's root folder, the one with copier.yml",
        )


def check_questions(render: str, answers: Mapping[str, Any]) -> None:
    """Refuse ``--data`` answers to questions a local template does not ask (typos)."""
    if is_remote(render) or not answers:
        return
    asked = template_questions(Path(render).expanduser())
    unknown = sorted(set(answers) - asked)
    if asked and unknown:
        raise ConfigError(
            f"The template asks no question named {', '.join(unknown)}",
            hint=f"answer one of: {', '.join(sorted(asked))}",
        )


def template_questions(folder: Path) -> set[str]:
    """The questions in a template's copier.yml; empty when it cannot be read."""
    import yaml

    for name in COPIER_FILES:
        try:
            config = yaml.safe_load((folder / name).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(config, dict):
            return {str(key) for key in config if not str(key).startswith("_")}
    return set()


@contextlib.contextmanager
def staging_folder(destination: Path) -> Iterator[Path]:
    """A hidden empty folder next to ``destination``, removed afterwards whatever happens."""
    # Without "..": the template writes the runtime's path relative to this folder by comparing
    # path parts, which `../project` would throw off.
    parent = destination.absolute().parent.resolve()
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=f".{destination.name}.aether-new-", dir=parent))
    except OSError as exc:
        raise ConfigError(
            f"Cannot create the project in {parent}: {exc.strerror}",
            hint="pick a folder you can write to",
        ) from None
    try:
        yield staged
    except OSError as exc:
        raise ConfigError(
            f"Could not write the project: {redact_url(str(exc))}",
            hint="pick a shorter name or a folder you can write to",
        ) from None
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def current_umask() -> int:
    """The process's umask (only readable by setting it: set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def publish(staged: Path, destination: Path) -> None:
    """Move the finished project to ``destination``: an empty folder there is replaced,
    anything else (another ``aether new`` finished first) is left alone and refused."""
    # mkdtemp made the staging folder 0700; the project gets the mode copier and cookiecutter
    # give a folder they create: the user's umask.
    staged.chmod(0o777 & ~current_umask())
    try:
        os.rename(staged, destination)
    except OSError:
        if destination.is_dir() and not any(destination.iterdir()):
            destination.rmdir()
            os.rename(staged, destination)
            return
        raise ConfigError(
            f"{destination} was created by something else while the project was rendered",
            hint="look at what is there now; run aether new again with another folder name",
        ) from None
