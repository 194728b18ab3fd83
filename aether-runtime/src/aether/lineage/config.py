"""`conf/<env>/lineage.yml` (or `conf/base`), read strictly.

```yaml
namespace: shop
transport: {type: file, path: data/09_lineage/events.jsonl}
# or
transport: {type: http, url: https://marquez.example.com, credentials: marquez}
```

An unknown key, transport type or a missing one is refused with the file and a
did-you-mean, before any node runs. A URL with a password inline is accepted, its password
registered for masking at once (it must never appear in an error, a log line or a warning).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aether.configuration.conf_folder import ConfigLoader
from aether.errors import ConfigError
from aether.support.redaction import has_url_secret, register
from aether.support.suggestions import did_you_mean

LINEAGE_FILE = "lineage.yml"
TOP_LEVEL_KEYS = ("namespace", "transport")
DEFAULT_TIMEOUT = 5.0
MAX_TIMEOUT = 60.0
# Where Marquez (and the OpenLineage Python client) receive events, under the server's URL.
DEFAULT_ENDPOINT = "api/v1/lineage"
# Per transport type: the keys it takes (besides `type`) and those it needs.
TRANSPORT_KEYS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "file": (("path",), ("path",)),
    "http": (("url", "endpoint", "credentials", "timeout"), ("url",)),
}
_EXAMPLES = {
    "file": "e.g. transport: {type: file, path: data/09_lineage/events.jsonl}",
    "http": "e.g. transport: {type: http, url: http://localhost:5000, credentials: marquez}",
}


@dataclass(frozen=True)
class FileTransportConfig:
    """Events appended to a file, one JSON object a line.

    Attributes:
        path: The file, as written (relative to the project folder, or absolute).
    """

    path: str


@dataclass(frozen=True)
class HttpTransportConfig:
    """Events POSTed one at a time to an OpenLineage HTTP endpoint (Marquez).

    Attributes:
        url: The server's URL (it may hold `user:password@`, masked everywhere).
        endpoint: The path under `url` that receives events (`api/v1/lineage`).
        credentials: The credentials.yml set that authenticates the requests, or None.
        timeout: Seconds one request may take before it counts as failed.
    """

    url: str
    endpoint: str = DEFAULT_ENDPOINT
    credentials: str | None = None
    timeout: float = DEFAULT_TIMEOUT


@dataclass(frozen=True)
class LineageConfig:
    """The content of lineage.yml, checked.

    Attributes:
        namespace: The OpenLineage namespace of the project's jobs.
        transport: Where the events go.
        where: The file it was read from (`conf/local/lineage.yml`), for messages.
    """

    namespace: str
    transport: FileTransportConfig | HttpTransportConfig
    where: str


def read_lineage(config: ConfigLoader) -> LineageConfig | None:
    """lineage.yml of the selected environment (over `conf/base`), or None when there is none.

    Args:
        config: The project's configuration loader.

    Raises:
        ConfigError: The file is malformed (the message names it, the hint says the fix).
    """
    files = config.layer_files(LINEAGE_FILE)
    if not files:
        return None
    layer = config.get(LINEAGE_FILE)
    shown = files[-1].relative_to(config.conf_path.parent).as_posix()
    return parse_lineage(layer.data, shown)


def parse_lineage(data: Mapping[str, Any], where: str) -> LineageConfig:
    """The checked content of a lineage.yml whose parsed YAML is `data`.

    Args:
        data: The file's top-level mapping.
        where: The file, as messages name it.

    Raises:
        ConfigError: An unknown or missing key, an unknown transport type, a bad value.
    """
    _refuse_unknown(data, TOP_LEVEL_KEYS, where, "")
    namespace = data.get("namespace")
    if not isinstance(namespace, str) or not namespace.strip():
        raise ConfigError(
            f"{where}: `namespace:` must name the OpenLineage namespace of the project's jobs",
            hint="e.g. namespace: shop",
        )
    transport = data.get("transport")
    if not isinstance(transport, Mapping):
        raise ConfigError(f"{where}: `transport:` must be a mapping", hint=_EXAMPLES["file"])
    kind = transport.get("type")
    if kind is None:
        raise ConfigError(f"{where}: `transport:` needs `type:`", hint=_EXAMPLES["file"])
    if not isinstance(kind, str) or kind not in TRANSPORT_KEYS:
        raise ConfigError(
            f"{where}: unknown transport type {kind!r}",
            hint=did_you_mean(str(kind), TRANSPORT_KEYS) or "use type: file or type: http",
        )
    allowed, needed = TRANSPORT_KEYS[kind]
    _refuse_unknown(transport, ("type", *allowed), where, f"transport {kind} ")
    for key in needed:
        if not isinstance(transport.get(key), str) or not transport[key].strip():
            raise ConfigError(f"{where}: transport {kind} needs `{key}:`", hint=_EXAMPLES[kind])
    if kind == "file":
        return LineageConfig(namespace, FileTransportConfig(transport["path"]), where)
    return LineageConfig(namespace, _http(transport, where), where)


def _http(transport: Mapping[str, Any], where: str) -> HttpTransportConfig:
    url = transport["url"]
    if has_url_secret(url):  # a password or token inline is masked from now on, before
        register(url)  # any check; a URL without one is no secret (masking it would
        # garble every message that quotes the host, e.g. a lone "http://h" prefix)
    if not url.lower().startswith(("http://", "https://")) or not _host(url):
        raise ConfigError(
            f"{where}: transport http `url:` must be an http:// or https:// URL with a host",
            hint=_EXAMPLES["http"],
        )
    endpoint = transport.get("endpoint", DEFAULT_ENDPOINT)
    if not isinstance(endpoint, str):
        raise ConfigError(
            f"{where}: transport http `endpoint:` must be a path", hint="e.g. api/v1/lineage"
        )
    credentials = transport.get("credentials")
    if credentials is not None and not isinstance(credentials, str):
        raise ConfigError(
            f"{where}: transport http `credentials:` must name a set of credentials.yml",
            hint="e.g. credentials: marquez (with marquez: {token: ...} in credentials.yml)",
        )
    timeout = transport.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        timeout = -1.0
    if not 0 < timeout <= MAX_TIMEOUT:
        raise ConfigError(
            f"{where}: transport http `timeout:` must be a number of seconds, "
            f"above 0 and at most {MAX_TIMEOUT:g}",
            hint=f"e.g. timeout: {DEFAULT_TIMEOUT:g}",
        )
    return HttpTransportConfig(url, endpoint, credentials, float(timeout))


def _host(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - read for its check: a port above 65535 raises here
        return parts.hostname
    except ValueError:  # a malformed port or bracket: no host to send to
        return None


def _refuse_unknown(data: Mapping[str, Any], known: tuple[str, ...], where: str, what: str) -> None:
    for key in data:
        if key not in known:
            raise ConfigError(
                f"{where}: {what}unknown key '{key}'",
                hint=did_you_mean(str(key), known) or f"the keys are: {', '.join(known)}",
            )


def events_file(config: LineageConfig, spec: FileTransportConfig, project_path: Path) -> Path:
    """The file a file transport appends to (``path:`` from the project folder, ``~``
    expanded).

    Raises:
        ConfigError: The path is a folder: said before the run (and by ``aether validate``),
            not as a warning after its nodes.
    """
    path = Path(spec.path).expanduser()
    path = path if path.is_absolute() else project_path / path
    if path.is_dir():
        raise ConfigError(
            f"{config.where}: transport file `path:` {spec.path} is a folder",
            hint="name a file in it, e.g. path: data/09_lineage/events.jsonl",
        )
    return path
