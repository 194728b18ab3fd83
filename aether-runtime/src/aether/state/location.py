"""Where a project's state and run lock live: the SQLite file under ``.aether/`` (the
default), another SQLite file, or a PostgreSQL database shared by several machines.

Chosen by ``AETHER_STATE_URL``, else by ``state: {url: ...}`` in ``conf/<env>/aether.yml``
(over ``conf/base/aether.yml``), else the default file. A shared store keeps each project
and environment apart (``project`` defaults to ``[project] name`` of pyproject.toml, so every
clone of a repository agrees on it), and a ``namespace`` (``AETHER_STATE_NAMESPACE``, e.g.
the branch) keeps runs of different branches apart in one database.

Example::

    location = StateLocation.choose(root, "prod")
    with location.open_store() as store, location.run_lock(run_id):
        ...
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aether.configuration.conf_folder import deep_merge, interpolate_env, load_yaml
from aether.errors import ConfigError
from aether.project.paths import ProjectPaths
from aether.secrets.references import MARK as SECRET_MARK
from aether.secrets.references import has_reference
from aether.support import redaction
from aether.support.suggestions import did_you_mean

if TYPE_CHECKING:
    from aether.state.base import StateStore
    from aether.state.lock import LockHolder

URL_VARIABLE = "AETHER_STATE_URL"
NAMESPACE_VARIABLE = "AETHER_STATE_NAMESPACE"
SETTINGS_FILE = "aether.yml"
DEFAULT_NAMESPACE = "default"
_SETTINGS_KEYS = ("state",)
_STATE_KEYS = ("url", "namespace", "project")
_POSTGRES_SCHEMES = ("postgresql", "postgres")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,30}")
_URL_HINT = (
    "use postgresql://user@host:5432/database, or sqlite:///path/to/state.db (leave it "
    "unset for .aether/state.db)"
)
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@dataclass(frozen=True)
class StateLocation:
    """One project's state store and run lock, as configured.

    Attributes:
        root: The project root.
        env: The environment (a shared store keeps each apart).
        url: The PostgreSQL URL (may hold a password: never shown; see ``shown``), or None
            for a SQLite file.
        sqlite_path: The SQLite file, when the store is one.
        project: The project's name in a shared store.
        namespace: Keeps branches (or anything else) apart in a shared store.
        chosen_by: Where the choice was made, for messages.
    """

    root: Path
    env: str
    url: str | None
    sqlite_path: Path | None
    project: str
    namespace: str
    chosen_by: str

    @classmethod
    def choose(
        cls, root: Path, env: str, environ: Mapping[str, str] | None = None
    ) -> StateLocation:
        """The location configured for ``env`` of the project at ``root``."""
        environ = os.environ if environ is None else environ
        settings, where = _read_settings(root, env)
        url = environ.get(URL_VARIABLE) or None
        chosen_by = URL_VARIABLE
        if url is not None and SECRET_MARK in url:
            raise _secret_reference_error(URL_VARIABLE)
        if url is None and settings.get("url") is not None:
            url, chosen_by = (
                _text(settings["url"], f"state.url in {where}"),
                f"state.url in {where}",
            )
        namespace = environ.get(NAMESPACE_VARIABLE) or settings.get("namespace")
        namespace = DEFAULT_NAMESPACE if namespace is None else namespace
        _check_name(namespace, "namespace", NAMESPACE_VARIABLE, where)
        project = settings.get("project") or ""
        if project:
            _check_name(project, "project", None, where)
        if url is None:
            default = ProjectPaths(root).state_db
            return cls(root, env, None, default, project, namespace, "default")
        scheme_text, separator, _ = url.partition("://")
        if not separator or not _SCHEME.fullmatch(scheme_text):
            # Not shown: a URL mistyped (postgresql:/user:pw@host) is still a password.
            raise ConfigError(
                f"{chosen_by} is not a URL of the form scheme://... (not shown: it may hold a "
                "password)",
                hint=_URL_HINT,
            )
        scheme = scheme_text.split("+", 1)[0].lower()
        if scheme == "sqlite":
            path = _sqlite_path(url, root, chosen_by)
            return cls(root, env, None, path, project, namespace, chosen_by)
        if scheme in _POSTGRES_SCHEMES:
            _check_user_info(url, chosen_by)
            _register_password(url)
            project = project or _project_name(root)  # read only for a shared store
            return cls(root, env, url, None, project, namespace, chosen_by)
        raise ConfigError(
            f"{chosen_by} is not a state store URL Aether knows ({scheme_text}://...)",
            hint=_URL_HINT,
        )

    @property
    def is_default(self) -> bool:
        """Whether this is the project's own ``.aether/state.db`` (the file a look before
        loading the project may read)."""
        return self.url is None and self.sqlite_path == ProjectPaths(self.root).state_db

    @property
    def shared(self) -> bool:
        """Whether the store is a server several machines use."""
        return self.url is not None

    @property
    def shown(self) -> str:
        """The store as messages name it: its path, or its URL without the password."""
        if self.url is None:
            return str(self.sqlite_path)
        return f"{redaction.redact_url(self.url)} ({self.schema})"

    @property
    def schema(self) -> str:
        """The PostgreSQL schema holding this project, environment and namespace: readable
        parts cut to fit 63 characters, and a hash of all three so cut names never meet."""
        parts = (self.project, self.env, self.namespace)
        digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:8]
        slugs = [re.sub(r"[^a-z0-9]+", "_", part.lower()).strip("_") for part in parts]
        return f"aether_{slugs[0][:22]}_{slugs[1][:12]}_{slugs[2][:10]}_{digest}"

    def exists(self) -> bool:
        """Whether the SQLite file is there (a server is taken to be there)."""
        return self.url is not None or (self.sqlite_path is not None and self.sqlite_path.is_file())

    def open_store(self) -> StateStore:
        """The state store (a SQLite file is created on first use)."""
        if self.url is not None:
            from aether.state.postgres import PostgresStateStore

            return PostgresStateStore(self.url, self.schema)
        from aether.state.sqlite import SQLiteStateStore

        assert self.sqlite_path is not None
        return SQLiteStateStore(self.sqlite_path)

    def run_lock(
        self,
        run_id: str,
        *,
        wait: bool = True,
        timeout: float | None = None,
        on_wait: Callable[[LockHolder], None] | None = None,
    ) -> AbstractContextManager[Any]:
        """The lock one run holds: a lock file beside a SQLite store (``.aether/run.lock``
        for the default one), an advisory lock in a PostgreSQL one."""
        if self.url is not None:
            from aether.state.advisory_lock import AdvisoryLock

            return AdvisoryLock(
                self.url, self.schema, run_id, wait=wait, timeout=timeout, on_wait=on_wait
            )
        from aether.state.lock import ProjectLock

        return ProjectLock(self.lock_file, run_id, wait=wait, timeout=timeout, on_wait=on_wait)

    @property
    def lock_file(self) -> Path:
        """The run lock file of a SQLite store (``.aether/run.lock`` for the default one)."""
        default = ProjectPaths(self.root).run_lock
        if self.sqlite_path is None or self.is_default:
            return default
        return self.sqlite_path.with_name(self.sqlite_path.name + ".run.lock")


def _read_settings(root: Path, env: str) -> tuple[dict[str, Any], str]:
    """``state:`` of ``conf/base/aether.yml`` and ``conf/<env>/aether.yml`` merged, and
    where it was read (for messages)."""
    merged: dict[str, Any] = {}
    where = "conf/base/aether.yml"
    for layer in ("base", env):
        path = root / "conf" / layer / SETTINGS_FILE
        if not path.is_file():
            continue
        shown = f"conf/{layer}/{SETTINGS_FILE}"
        data = load_yaml(path, shown_as=shown)
        if data is None:
            continue
        _check_keys(data, _SETTINGS_KEYS, shown, "at the top level")
        state = data.get("state")
        if state is None:
            continue
        _check_keys(state, _STATE_KEYS, shown, "under state:")
        if has_reference(state):
            raise _secret_reference_error(f"state: in {shown}")
        merged = deep_merge(merged, interpolate_env(state, shown))
        where = shown if "url" in state or where == "conf/base/aether.yml" else where
    return merged, where


def _check_keys(data: Any, known: tuple[str, ...], shown: str, place: str) -> None:
    if not isinstance(data, dict):
        raise ConfigError(
            f"{shown} must hold a mapping {place}, not a {type(data).__name__}",
            hint="write it as `key: value` entries, e.g. state: {url: postgresql://...}",
        )
    for key in data:
        if key not in known:
            raise ConfigError(
                f"{shown}: unknown key '{key}' {place}",
                hint=did_you_mean(str(key), known) or f"known keys: {', '.join(known)}",
            )


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            f"{where} must be a URL (text), not {type(value).__name__}",
            hint="e.g. url: postgresql://aether@db.internal:5432/aether",
        )
    return value.strip()


def _check_name(value: Any, key: str, variable: str | None, where: str) -> None:
    if isinstance(value, str) and _NAME.fullmatch(value):
        return
    source = f"{variable} or state.{key} in {where}" if variable else f"state.{key} in {where}"
    raise ConfigError(
        f"The state {key} {value!r} ({source}) is not a name",
        hint="use letters, digits, '.', '_' or '-' (up to 100), e.g. a branch name with "
        "'/' replaced by '-'",
    )


def _project_name(root: Path) -> str:
    """``[project] name`` of pyproject.toml (the same in every clone), else the folder's
    name."""
    pyproject = ProjectPaths(root).pyproject
    if pyproject.is_file():
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - exercised on 3.10 only
            import tomli as tomllib
        try:
            name = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
            name = name.get("name") if isinstance(name, dict) else None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
            name = None  # loading the project reports a broken pyproject.toml
        if isinstance(name, str) and _NAME.fullmatch(name):
            return name
    return root.resolve().name or "project"


def _sqlite_path(url: str, root: Path, chosen_by: str) -> Path:
    """The file of ``sqlite:///relative/path`` (from the project root) or
    ``sqlite:////absolute/path``."""
    rest = url.split(":", 1)[1]
    if not rest.startswith("///") or len(rest) == 3:
        raise ConfigError(
            f"{chosen_by} is not a SQLite URL with a file ({url})",
            hint="write sqlite:///relative/to/project.db or sqlite:////absolute/path.db",
        )
    path = Path(rest[3:])
    return path if path.is_absolute() else root / path


def _secret_reference_error(where: str) -> ConfigError:
    """``${secret:...}`` is resolved in credentials.yml only: the store is chosen before any
    secret provider could be asked, and a URL is shown (masked) in messages."""
    instead = (
        f"export {URL_VARIABLE} with the password in it (percent-encoded)"
        if where == URL_VARIABLE
        else f"take the URL from the environment (${{env:NAME}} here, or {URL_VARIABLE})"
    )
    return ConfigError(
        f"{where} holds a ${{secret:...}} reference, which only credentials.yml may hold",
        hint=f"{instead}, or leave the password out and use PGPASSWORD or ~/.pgpass",
    )


def _check_user_info(url: str, chosen_by: str) -> None:
    """Refuse a user or password that is not percent-encoded. libpq ends the user info at
    the first '@' and the host at a '/', '?' or '#': a raw one in a password would make a
    piece of the password the host, shown in every error, and the rest sent elsewhere."""
    rest = url.partition("://")[2]
    user_info = rest.rpartition("@")[0]
    head, _, query = user_info.partition("?")
    if "=" in query and _is_authority_and_path(head):  # that '@' is in ?key=a@b
        user_info = head.rpartition("@")[0]
    if any(char in user_info for char in "@/?#") or _BAD_PERCENT.search(user_info):
        raise ConfigError(
            f"{chosen_by}: the user or password of the state store URL holds a character "
            "that must be percent-encoded (the URL is not shown: it holds a password)",
            hint="write '@' as %40, '/' as %2F, '?' as %3F, '#' as %23 and '%' as %25 "
            '(python3 -c "import urllib.parse, getpass; print(urllib.parse.quote('
            "getpass.getpass(), safe=''))\"), or leave the password out and use PGPASSWORD "
            "or ~/.pgpass",
        )


def _is_authority_and_path(head: str) -> bool:
    """Whether ``head`` (what comes before a '?') reads as ``[user@]host[:port]/database``,
    so that a '?' after it starts the query string, not a piece of a password."""
    authority, slash, _ = head.partition("/")
    host = authority.rpartition("@")[2]
    port = host.rpartition(":")[2] if ":" in host and not host.endswith("]") else ""
    return bool(slash) and "@" not in authority.rpartition("@")[0] and (not port or port.isdigit())


def _register_password(url: str) -> None:
    """The URL's password is a secret: masked wherever Aether prints."""
    password = _password(url)
    if password:
        redaction.register(password)
        from urllib.parse import unquote

        redaction.register(unquote(password))


def _password(url: str) -> str | None:
    authority = url.split("://", 1)[-1].split("/", 1)[0]
    if "@" not in authority:
        return None
    user_info = authority.rsplit("@", 1)[0]
    return user_info.split(":", 1)[1] if ":" in user_info else None
