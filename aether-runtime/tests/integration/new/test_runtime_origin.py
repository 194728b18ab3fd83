"""A project `aether new` makes installs the runtime it was made with (issue 15, item 4).

The runtime's origin is read from its installed metadata (PEP 610 `direct_url.json`): here
from real `.dist-info` folders written on `sys.path`, then rendered from a copy of the bundled
template exactly as an installed runtime renders it. The whole chain with a built wheel in a
fresh virtualenv, `make install` and `make run` included, is tests/test_new_from_a_wheel.py.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from aether.errors import ConfigError
from aether.scaffold import new_project as scaffold
from aether.scaffold.runtime_origin import index_specifier, local_source, runtime_origin

REPO_ROOT = Path(__file__).resolve().parents[4]
PROBE = "aether-probe"  # a distribution of our own: the real aether-data stays untouched
WHEEL = "aether_data-0.1.dev5+g1a2b3c4-py3-none-any.whl"


def install_probe(site: Path, version: str, direct_url: dict | None) -> None:
    """A distribution's installed metadata, as an installer leaves it."""
    info = site / f"aether_probe-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PROBE}\nVersion: {version}\n")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


@pytest.fixture
def installed_runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, site: Path) -> Path:
    """`aether new` as from an installed wheel: its bundled template, the probe's origin."""
    bundle = tmp_path / "_template"
    bundle.mkdir()
    shutil.copy2(REPO_ROOT / "copier.yml", bundle / "copier.yml")
    project_folder = "{{cookiecutter.project_slug}}"
    shutil.copytree(REPO_ROOT / "template" / project_folder, bundle / "template" / project_folder)
    monkeypatch.setattr(scaffold, "BUNDLED_TEMPLATE", bundle)
    monkeypatch.setattr(scaffold, "local_monorepo", lambda: None)
    monkeypatch.setattr(scaffold, "runtime_origin", lambda: runtime_origin(PROBE))
    return site


def new(destination: Path, **answers: str) -> dict:
    scaffold.new_project(destination, data=answers, defaults=True)
    return tomllib.loads((destination / "pyproject.toml").read_text())


def test_a_project_from_a_wheel_file_installs_that_wheel(installed_runtime, tmp_path):
    wheel = tmp_path / "dist" / WHEEL
    wheel.parent.mkdir()
    wheel.write_bytes(b"")
    install_probe(
        installed_runtime, "0.1.dev5+g1a2b3c4", {"url": wheel.as_uri(), "archive_info": {}}
    )

    meta = new(tmp_path / "work" / "sales")

    assert meta["project"]["dependencies"] == ["aether-data"]
    source = meta["tool"]["uv"]["sources"]["aether-data"]
    assert source == {"path": f"../../dist/{WHEEL}"}  # a wheel is never editable
    assert (tmp_path / "work" / "sales" / source["path"]).resolve() == wheel


def test_a_project_from_an_editable_checkout_installs_that_checkout(installed_runtime, tmp_path):
    checkout = tmp_path / "my checkout" / "aether-runtime"
    checkout.mkdir(parents=True)
    origin = {"url": checkout.as_uri(), "dir_info": {"editable": True}}
    install_probe(installed_runtime, "0.1.dev5+g1a2b3c4", origin)

    meta = new(tmp_path / "sales")

    source = meta["tool"]["uv"]["sources"]["aether-data"]
    assert source == {"path": "../my checkout/aether-runtime", "editable": True}


def test_a_project_from_the_index_asks_for_this_version_or_later(installed_runtime, tmp_path):
    install_probe(installed_runtime, "1.4.2", None)

    meta = new(tmp_path / "sales")

    assert meta["project"]["dependencies"] == ["aether-data>=1.4.2"]
    assert "uv" not in meta.get("tool", {}) or "sources" not in meta["tool"]["uv"]


def test_an_answer_given_wins_over_the_origin(installed_runtime, tmp_path):
    install_probe(installed_runtime, "1.4.2", None)

    meta = new(tmp_path / "sales", aether_runtime_version="==1.4.0")

    assert meta["project"]["dependencies"] == ["aether-data==1.4.0"]


def test_a_wheel_that_is_gone_is_refused_unless_a_source_is_named(installed_runtime, tmp_path):
    gone = tmp_path / "dist" / WHEEL
    install_probe(
        installed_runtime, "0.1.dev5+g1a2b3c4", {"url": gone.as_uri(), "archive_info": {}}
    )

    with pytest.raises(ConfigError) as caught:
        new(tmp_path / "sales")
    assert str(gone) in caught.value.message and "no longer exists" in caught.value.message
    assert "--data aether_runtime_path=PATH" in caught.value.hint
    assert not (tmp_path / "sales").exists()

    meta = new(tmp_path / "other", aether_runtime_version=">=0.1")
    assert meta["project"]["dependencies"] == ["aether-data>=0.1"]


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (None, None),
        ("not json", None),
        ({"url": "file:///tmp/dist/" + WHEEL, "archive_info": {}}, Path("/tmp/dist") / WHEEL),
        (
            {"url": "file:///tmp/a%20b/aether-runtime", "dir_info": {}},
            Path("/tmp/a b/aether-runtime"),
        ),
        ({"url": "https://example.com/" + WHEEL, "archive_info": {}}, None),
        ({"url": "https://github.com/aether-data/aether.git", "vcs_info": {"vcs": "git"}}, None),
    ],
)
def test_local_source_is_the_wheel_or_folder_a_record_names(record, expected):
    text = record if record is None or isinstance(record, str) else json.dumps(record)
    assert local_source(text) == expected


@pytest.mark.parametrize(
    ("version", "specifier"),
    [
        ("1.4.2", ">=1.4.2"),
        ("2.0.0rc1", ">=2.0.0rc1"),
        ("0.1.dev5", ">=0.1.dev5"),
        ("0.1.dev5+g1a2b3c4", ">=0.1.dev5"),
        ("0.0.0", None),
    ],
)
def test_the_index_specifier_admits_the_version_it_was_made_from(version, specifier):
    assert index_specifier(version) == specifier
    if specifier is not None:
        assert SpecifierSet(specifier).contains(version, prereleases=None)


@pytest.fixture
def umask() -> Iterator[None]:
    previous = os.umask(0o027)
    yield
    os.umask(previous)


def test_the_project_folder_gets_the_users_umask(installed_runtime, tmp_path, umask):
    install_probe(installed_runtime, "1.4.2", None)

    new(tmp_path / "sales")

    assert (tmp_path / "sales").stat().st_mode & 0o777 == 0o750
    assert (tmp_path / "sales" / "conf").stat().st_mode & 0o777 == 0o750
