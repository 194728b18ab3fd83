"""``${secret:env:NAME}``: a secret from an environment variable (what CI systems and
container platforms inject)."""

from __future__ import annotations

import os
from pathlib import Path

from aether.secrets.providers import SecretNotFound


class EnvironmentSecrets:
    """Reads ``os.environ`` at the moment a secret is asked for.

    Args:
        project_path: Unused; every provider factory takes it.
    """

    def __init__(self, project_path: Path | None = None) -> None:
        del project_path

    def __call__(self, name: str) -> str:
        try:
            return os.environ[name]
        except KeyError:
            raise SecretNotFound(f"export {name}=<value> before running Aether") from None
