"""Reading a project's ``conf/`` folder: two layers, merge rules, interpolation.

Exactly two layers are read: ``conf/base/`` and the selected environment's folder. A file in
the environment overrides the same file in ``base`` key by key at the top level (a catalog
entry in ``local`` replaces the whole base entry); ``parameters.yml`` is merged deeply.
``${env:NAME}`` and ``${env:NAME,default}`` are replaced anywhere; ``${params:a.b}`` is
replaced in the catalog (see :func:`interpolate_params`); ``${secret:...}`` is refused
outside credentials.yml (the catalog resolves it there: :mod:`aether.secrets`). YAML is
parsed strictly (:mod:`aether.configuration.strict_yaml`: no duplicate keys, bounded aliases);
``--params`` is :mod:`aether.configuration.params_overrides`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aether.errors import ConfigError
from aether.project.paths import BASE_ENV_FOLDER
from aether.secrets.references import MARK, has_reference
from aether.support.dotted_keys import get_dotted, is_missing
from aether.support.redaction import has_named_secret, has_url_secret

DEFAULT_ENV = "local"
BASE_ENV = BASE_ENV_FOLDER  # conf/base/: the layer every environment builds on

_ENV_PATTERN = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?:,([^}]*))?\}")
_PARAMS_PATTERN = re.compile(r"\$\{params:([A-Za-z0-9_.\-]+)\}")
_ENV_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_NEVER_CACHED = frozenset({"credentials.yml", "credentials.yaml"})
_CACHE_VERSION = "v2"


def load_yaml(path: Path, *, shown_as: str | None = None, cache_dir: Path | None = None) -> Any:
    """Parse one YAML file; a syntax error becomes a ConfigError with file, line and column.

    With ``cache_dir``, the parsed data is kept there keyed by the file's content hash:
    PyYAML builds objects in Python (~0.2 s for a 10,000-entry catalog), and a cache hit
    costs a hash and an unpickle.
    """
    shown = shown_as or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"Cannot read {shown}: {exc.strerror}") from None
    # Never cache credentials: the cache is a plain file that nobody thinks of as secret.
    use_cache = cache_dir is not None and path.name not in _NEVER_CACHED
    cached = _cache_file(cache_dir, path, raw) if use_cache and cache_dir else None
    if cached is not None:
        try:
            return json.loads(cached.read_bytes())
        except (OSError, ValueError):
            pass
    data = _parse_yaml(raw, shown)
    if cached is not None:
        _store_cache(cached, data)
    return data


def _parse_yaml(raw: bytes, shown: str) -> Any:
    from aether.configuration.strict_yaml import (
        parse_strict_yaml,  # imports PyYAML: not on --help's path
    )

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{shown} is not UTF-8 text", hint="save it as UTF-8") from None
    return parse_strict_yaml(text, shown)


def _cache_file(cache_dir: Path, path: Path, raw: bytes) -> Path:
    which = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    content = hashlib.sha256(raw).hexdigest()[:32]
    # The version tag keeps entries written before duplicate keys and alias bombs were
    # refused from being trusted: a cached file is one that passed today's checks.
    return cache_dir / f"yaml-{_CACHE_VERSION}-{which}-{content}.json"


def _store_cache(target: Path, data: Any) -> None:
    """Write atomically, replacing older entries for the same file; never fail the caller.

    JSON, not pickle (loading a planted cache file must not run code); YAML that JSON
    cannot hold exactly (dates, integer keys, sets) is simply not cached, nor is a file with
    a URL password or token, or a value under a secret's name (``password:``), in clear (the
    cache is a file nobody thinks of as secret).
    ``${env:...}`` values never get here: the cache holds the text before interpolation.
    """
    try:
        text = json.dumps(data, separators=(",", ":"))
        if json.loads(text) != data or has_url_secret(text) or has_named_secret(data):
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        prefix = target.name.rsplit("-", 1)[0]
        for old in target.parent.glob(f"{prefix}-*.json"):
            old.unlink(missing_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    except (OSError, TypeError, ValueError):
        pass


def top_level_lines(path: Path) -> dict[str, int]:
    """Line number of each top-level key in a YAML file, for error messages."""
    lines: dict[str, int] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return lines
    for number, line in enumerate(text.splitlines(), start=1):
        if not line or line[0] in " \t#-":  # indented, a comment or a list item: not a key
            continue
        match = _TOP_LEVEL_KEY.match(line)
        if match:
            lines.setdefault(match.group(2), number)
    return lines


_TOP_LEVEL_KEY = re.compile(r"""^(["']?)([^\s#'"][^:]*?)\1\s*:""")


@dataclass
class ConfigLayer:
    """One merged config file: its data and, per top-level key, the file it came from."""

    data: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, Path] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    _lines: dict[Path, dict[str, int]] = field(default_factory=dict, repr=False)
    _shown: dict[Path, str] = field(default_factory=dict, repr=False)

    def where(self, key: str, project_path: Path | None = None) -> str:
        """``conf/base/catalog.yml:12`` for a top-level key, as precisely as known."""
        origin = self.origins.get(key)
        if origin is None:
            return self.files[-1].name if self.files else "conf/"
        if origin not in self._lines:
            self._lines[origin] = top_level_lines(origin)
            self._shown[origin] = _relative(origin, project_path)
        shown = self._shown[origin]
        line = self._lines[origin].get(key)
        return f"{shown}:{line}" if line else shown


class ConfigLoader:
    """Reads ``conf/base`` and ``conf/<env>``; ``get(name)`` merges one file of both layers."""

    def __init__(
        self,
        conf_path: Path,
        env: str | None = None,
        *,
        cache_dir: Path | None = None,
        chosen_by: str = "--env",
    ) -> None:
        """``env=None`` selects ``local``, which may be absent; a named env must exist.

        ``chosen_by`` says where a named env came from (``--env``, ``AETHER_ENV``...), for
        the error message.
        """
        self.conf_path = conf_path
        self.cache_dir = cache_dir
        self.env = env or DEFAULT_ENV
        self._cache: dict[str, ConfigLayer] = {}
        if env is not None:
            check_env_name(env, conf_path, chosen_by)

    def layer_files(self, name: str) -> list[Path]:
        return [
            path
            for path in (self.conf_path / BASE_ENV / name, self.conf_path / self.env / name)
            if path.is_file()
        ]

    def get(self, name: str, *, deep: bool = False) -> ConfigLayer:
        """The merged content of ``name`` (e.g. ``catalog.yml``) over both layers."""
        key = f"{name}:{deep}"
        if key not in self._cache:
            self._cache[key] = self._merge(name, deep)
        return self._cache[key]

    def _merge(self, name: str, deep: bool) -> ConfigLayer:
        layer = ConfigLayer()
        for path in self.layer_files(name):
            shown = _relative(path, self.conf_path.parent)
            data = load_yaml(path, shown_as=shown, cache_dir=self.cache_dir)
            if data is None:
                continue
            if not isinstance(data, dict):
                raise ConfigError(
                    f"{shown} must hold a mapping at the top level, not a {type(data).__name__}",
                    hint="write it as `key: value` entries",
                )
            text = path.read_text(encoding="utf-8")
            if MARK in text and path.name not in _NEVER_CACHED:  # walk big files only if needed
                refuse_secret_references(data, text, shown)
            if "${env:" in text:
                data = interpolate_env(data, shown)
            layer.files.append(path)
            for top_key, value in data.items():
                if deep and isinstance(layer.data.get(top_key), dict) and isinstance(value, dict):
                    layer.data[top_key] = deep_merge(layer.data[top_key], value)
                else:
                    layer.data[top_key] = value
                layer.origins[top_key] = path
        return layer


def refuse_secret_references(data: Any, text: str, shown: str) -> None:
    """``${secret:...}`` belongs in credentials.yml only: anywhere else it would be a secret
    in a value Aether shows, records and caches. (In a comment it is just text.)"""
    if not has_reference(data):
        return
    line = next((n for n, t in enumerate(text.splitlines(), 1) if MARK in t.split("#", 1)[0]), None)
    raise ConfigError(
        f"{shown}{f':{line}' if line else ''}: ${{secret:...}} may only be used in credentials.yml",
        hint="move the value to a set in conf/local/credentials.yml and name the set with "
        "`credentials: <set>` where it is needed (a catalog entry, or lineage.yml's "
        "transport)",
    )


def check_env_name(env: str, conf_path: Path, chosen_by: str = "--env") -> None:
    """A selected environment is a folder directly under ``conf/``, and not ``base``.

    A name is never a path: ``../x``, ``a/b`` or ``..`` could reach outside ``conf/``.
    """
    known = (
        sorted(p.name for p in conf_path.iterdir() if p.is_dir() and _is_env_folder(p.name))
        if conf_path.is_dir()
        else []
    )
    pick = f"pick one of: {', '.join(known)}" if known else "create conf/<name>/ first"
    if env == BASE_ENV:
        raise ConfigError(
            f"Environment 'base' cannot be selected (by {chosen_by}): it is always read",
            hint=pick,
        )
    if not _is_env_folder(env):
        raise ConfigError(
            f"Environment {env!r} (selected by {chosen_by}) is not a folder name under conf/",
            hint=f"name a folder of conf/ without '/' or '..': {pick}",
        )
    if not (conf_path / env).is_dir():
        raise ConfigError(
            f"Environment '{env}' has no folder conf/{env} (selected by {chosen_by})",
            hint=f"create conf/{env}/ or {pick}",
        )


def _is_env_folder(name: str) -> bool:
    return name != BASE_ENV and bool(_ENV_NAME.fullmatch(name)) and ".." not in name


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """A new dict: ``override`` merged into ``base``, recursively for nested mappings."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(merged.get(key), Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def interpolate_env(value: Any, where: str, environ: Mapping[str, str] | None = None) -> Any:
    """Replace ``${env:NAME}`` and ``${env:NAME,default}`` in every string of ``value``."""
    env = os.environ if environ is None else environ

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default.strip()
        raise ConfigError(
            f"Environment variable {name} is not set (used in {where})",
            hint=f"export {name}=<value> or give a default: ${{env:{name},<value>}}",
        )

    return _map_strings(value, lambda text: _ENV_PATTERN.sub(replace, text))


def interpolate_params(value: Any, params: Mapping[str, Any], where: str) -> Any:
    """Replace ``${params:a.b}``; a string that is only the reference takes the value's type."""

    def resolve(key: str) -> Any:
        found = get_dotted(params, key)
        if is_missing(found):
            raise ConfigError(
                f"Parameter '{key}' is not defined (used in {where})",
                hint="add it to conf/base/parameters.yml (--params can then override it)",
            )
        return found

    def replace(text: str) -> Any:
        whole = _PARAMS_PATTERN.fullmatch(text)
        if whole:
            return resolve(whole.group(1))
        return _PARAMS_PATTERN.sub(lambda m: str(resolve(m.group(1))), text)

    return _map_strings(value, replace)


def _map_strings(value: Any, func: Callable[[str], Any]) -> Any:
    if isinstance(value, str):
        return func(value) if "${" in value else value
    if isinstance(value, dict):
        return {key: _map_strings(item, func) for key, item in value.items()}
    if isinstance(value, list):
        return [_map_strings(item, func) for item in value]
    return value


def _relative(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return str(path)
