"""``aether new``: a new project from the Aether template (copier underneath).

The template source defaults to the monorepo this runtime was installed from (an editable
install inside a checkout), else the public repository. A project made from a local checkout
also installs the runtime from that checkout (``aether_runtime_path``), since the checkout may
be ahead of any release.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aether.errors import AetherError, ConfigError

PUBLIC_TEMPLATE = "https://github.com/aether-data/aether.git"


def local_monorepo() -> Path | None:
    """The monorepo checkout holding this runtime, if it is one (has copier.yml)."""
    package = Path(__file__).resolve().parent  # .../aether-runtime/src/aether
    root = package.parents[2]
    if (root / "copier.yml").is_file() and (root / "template").is_dir():
        return root
    return None


def parse_data(items: list[str]) -> dict[str, Any]:
    """``--data key=value`` items into answers (values typed as YAML, like --params)."""
    import yaml

    answers: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"Malformed --data item {item!r}: expected name=value",
                hint="e.g. aether new my-project --data project_name='Sales data'",
            )
        answers[key.strip()] = yaml.safe_load(value) if value.strip() else ""
    return answers


def new_project(
    destination: Path,
    *,
    template: str | None = None,
    data: Mapping[str, Any] | None = None,
    defaults: bool = False,
) -> Path:
    """Render the template into ``destination``; returns the project folder."""
    try:
        import copier
    except ImportError:
        raise AetherError(
            "aether new needs copier, which is not installed",
            hint="pip install 'aether-data[new]' (or: uv tool install copier, then "
            "copier copy <template> DEST)",
        ) from None
    if destination.exists() and any(destination.iterdir()):
        raise ConfigError(
            f"{destination} exists and is not empty",
            hint="pick a new folder name, or empty that folder first",
        )
    answers = dict(data or {})
    monorepo = local_monorepo()
    source = template or (str(monorepo) if monorepo else PUBLIC_TEMPLATE)
    if template is None and monorepo is not None:
        answers.setdefault("aether_runtime_path", str(monorepo / "aether-runtime"))
    answers.setdefault("project_name", _title(destination.name))
    try:
        with warnings.catch_warnings():
            # A local checkout is usually untagged and dirty: copier says so; that is fine.
            warnings.simplefilter("ignore")
            copier.run_copy(
                source,
                str(destination),
                data=answers,
                defaults=defaults,
                unsafe=False,
                quiet=True,
                # A checkout renders its working tree, not its newest tag: the runtime it
                # points the project at is the working tree's too.
                vcs_ref="HEAD" if template is None and monorepo is not None else None,
            )
    except (copier.errors.UserMessageError, ValueError) as exc:
        raise ConfigError(f"The template rejected an answer: {exc}") from None
    return destination


def _title(folder: str) -> str:
    return folder.replace("-", " ").replace("_", " ").strip().title() or "My Data Project"
