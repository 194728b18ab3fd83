"""`aether_runtime_path` naming a wheel or an sdist: both engines install it as built.

uv refuses `editable = true` for an archive, so a project made by a runtime installed from a
wheel (`aether new` answers with that wheel's path) would not install. A folder stays editable.
"""

from __future__ import annotations

import pytest

from .conftest import Bake

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

WHEEL = "/opt/wheels/aether_data-0.1.dev5+g1a2b3c4-py3-none-any.whl"


@pytest.mark.parametrize("engine", ["copier", "cookiecutter"])
@pytest.mark.parametrize(
    ("path", "source"),
    [
        (WHEEL, {"path": WHEEL}),
        ("/opt/sdists/aether_data-0.1.tar.gz", {"path": "/opt/sdists/aether_data-0.1.tar.gz"}),
        ("/opt/aether/aether-runtime", {"path": "/opt/aether/aether-runtime", "editable": True}),
    ],
)
def test_an_archive_is_installed_as_built_and_a_folder_editable(
    bake: Bake, engine: str, path: str, source: dict
):
    project = bake(engine, aether_runtime_path=path)

    meta = tomllib.loads((project / "pyproject.toml").read_text())
    assert meta["project"]["dependencies"] == ["aether-data"]
    assert meta["tool"]["uv"]["sources"] == {"aether-data": source}
