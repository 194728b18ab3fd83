"""Bundle the project template into the runtime's sdist and wheel.

``aether new`` renders the copy of the template inside the installed wheel, so it works offline
with no checkout. The template lives one folder up, in the monorepo, which only a build from the
checkout can see: ``uv build`` makes the sdist there, then builds the wheel from the unpacked
sdist. So the sdist carries the template in ``_bundled_template/`` and the wheel takes it from
there, or from the checkout when built straight from it (``uv build --wheel``).

Only what copier reads is bundled: ``copier.yml`` and the project folder under ``template/``
(the cookiecutter router and hooks serve the cookiecutter engine, which renders from a checkout).
Editable installs bundle nothing: ``aether new`` renders from the checkout there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SDIST_FOLDER = "_bundled_template"
WHEEL_FOLDER = "aether/_template"
PROJECT_FOLDER = "template/{{cookiecutter.project_slug}}"
FILES = ("copier.yml", PROJECT_FOLDER)


class TemplateBundleHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name == "wheel" and version == "editable":
            return
        source = self._template_source()
        folder = SDIST_FOLDER if self.target_name == "sdist" else WHEEL_FOLDER
        for name in FILES:
            build_data["force_include"][str(source / name)] = f"{folder}/{name}"

    def _template_source(self) -> Path:
        root = Path(self.root)
        for candidate in (root / SDIST_FOLDER, root.parent):
            if all((candidate / name).exists() for name in FILES):
                return candidate
        raise FileNotFoundError(
            f"The project template is missing: neither {root / SDIST_FOLDER} (an sdist) nor "
            f"{root.parent} (the monorepo checkout) holds copier.yml and {PROJECT_FOLDER}. "
            "Build from the monorepo checkout or from an sdist made there."
        )
