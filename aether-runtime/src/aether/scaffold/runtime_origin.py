"""Where this runtime was installed from, so that a project ``aether new`` makes installs it too.

An installer writes ``direct_url.json`` (PEP 610) next to the metadata of a distribution it
installed from a URL or a path: a wheel file, a source folder, an editable checkout. A
distribution from a package index has none. A build that is not on the index (a wheel built
from a checkout, a development version) can only be installed again from where it came, so the
project records that place; one from the index gets a specifier its own version satisfies.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from aether.errors import ConfigError

DISTRIBUTION = "aether-data"


@dataclass(frozen=True)
class RuntimeOrigin:
    """How a new project installs this runtime: from a local path, or from the index."""

    path: str | None = None  # a wheel file or a source folder (the template's aether_runtime_path)
    specifier: str | None = None  # for the index (the template's aether_runtime_version)

    def answers(self) -> dict[str, str]:
        """The template answers that say so (none: keep the template's defaults)."""
        if self.path is not None:
            return {"aether_runtime_path": self.path}
        if self.specifier is not None:
            return {"aether_runtime_version": self.specifier}
        return {}


def runtime_origin(distribution: str = DISTRIBUTION) -> RuntimeOrigin:
    """Where the installed ``distribution`` came from (nothing known: an empty origin)."""
    try:
        installed = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:  # a bare source tree on sys.path, never installed
        return RuntimeOrigin()
    source = local_source(installed.read_text("direct_url.json"))
    if source is None:
        return RuntimeOrigin(specifier=index_specifier(installed.version))
    if not source.exists():
        raise ConfigError(
            f"{distribution} was installed from {source}, which no longer exists, so a new "
            "project could not install it",
            hint=f"pass --data aether_runtime_path=PATH (a wheel or a checkout of {distribution}), "
            "or reinstall it from a wheel or checkout that stays where it is",
        )
    return RuntimeOrigin(path=str(source))


def local_source(direct_url: str | None) -> Path | None:
    """The local wheel, archive or folder a PEP 610 record names; None for anything else.

    A git URL or a remote archive has no path a project could name in ``[tool.uv.sources]``
    with the template's answers: such an install is treated as one from the index.
    """
    if not direct_url:
        return None
    try:
        record = json.loads(direct_url)
    except ValueError:
        return None
    if not isinstance(record, dict) or "vcs_info" in record:
        return None
    url = urlparse(str(record.get("url", "")))
    if url.scheme != "file" or url.netloc not in ("", "localhost"):
        return None
    return Path(url2pathname(unquote(url.path)))


def index_specifier(version: str) -> str | None:
    """``>=`` this version without its local part, which PEP 440 forbids in ``>=``.

    Naming the exact version, a development or pre-release one included, keeps it admitted
    (a ``>=0.1`` specifier excludes ``0.1.dev5``); ``0.0.0`` means an unknown build: none.
    """
    public = version.partition("+")[0]
    if not re.fullmatch(r"\d+(\.\d+)*\S*", public) or set(public) <= {"0", "."}:
        return None
    return f">={public}"
