"""`aether new`: a project from the template, answers validated, never over a non-empty folder."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

Aether = Callable[..., subprocess.CompletedProcess[str]]


def test_new_renders_the_template_with_the_given_answers(aether: Aether, tmp_path: Path) -> None:
    result = aether(tmp_path, "new", "sales", "--defaults", "--data", "project_name=Sales Data")
    assert result.returncode == 0, result.stderr
    project = tmp_path / "sales"
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["project_name"] == "Sales Data"
    assert answers["package_name"] == "sales_data"
    # From a checkout, the project installs this checkout's runtime.
    assert Path(answers["aether_runtime_path"]).name == "aether-runtime"
    assert (project / "conf" / "base" / "pipeline.yml").is_file()
    assert (project / "src" / "sales_data").is_dir()
    validate = aether(project, "validate")
    assert validate.returncode == 0, validate.stderr


def test_new_rejects_a_reserved_package_name(aether: Aether, tmp_path: Path) -> None:
    result = aether(tmp_path, "new", "x", "--defaults", "--data", "package_name=class")
    assert result.returncode == 2
    assert "package_name 'class' is reserved" in result.stderr
    assert "Traceback" not in result.stderr


def test_new_refuses_a_folder_that_is_not_empty(aether: Aether, tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    result = aether(tmp_path, "new", "busy", "--defaults")
    assert result.returncode == 2
    assert "is not empty" in result.stderr
    assert (tmp_path / "busy" / "keep.txt").read_text() == "mine"


def test_malformed_data_item_is_bad_input(aether: Aether, tmp_path: Path) -> None:
    result = aether(tmp_path, "new", "x", "--defaults", "--data", "no-equals-sign")
    assert result.returncode == 2
    assert "Malformed --data item" in result.stderr


def test_a_relative_destination_gets_the_runtime_path_relative_to_the_project(
    aether: Aether, tmp_path: Path
) -> None:
    runtime = tmp_path / "checkout" / "aether-runtime"  # rendering does not install it

    result = aether(
        tmp_path, "new", "near", "--defaults", "--data", f"aether_runtime_path={runtime}"
    )

    assert result.returncode == 0, result.stderr
    pyproject = (tmp_path / "near" / "pyproject.toml").read_text()
    assert 'path = "../checkout/aether-runtime"' in pyproject


def test_a_destination_up_a_folder_gets_the_runtime_path_relative_to_the_project(
    aether: Aether, tmp_path: Path
) -> None:
    runtime = tmp_path / "checkout" / "aether-runtime"
    (tmp_path / "checkout").mkdir()

    result = aether(
        tmp_path / "checkout",
        *("new", "../near", "--defaults", "--data", f"aether_runtime_path={runtime}"),
    )

    assert result.returncode == 0, result.stderr
    pyproject = (tmp_path / "near" / "pyproject.toml").read_text()
    assert 'path = "../checkout/aether-runtime"' in pyproject


def test_without_copier_the_hint_names_the_extra_for_a_wheel_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before the first release only a built wheel works: the hint must say how to use one."""
    import sys

    from aether.errors import AetherError
    from aether.scaffold.new_project import _import_copier

    monkeypatch.setitem(sys.modules, "copier", None)  # `import copier` raises ImportError
    with pytest.raises(AetherError) as raised:
        _import_copier()
    assert "aether-data[new]" in raised.value.hint
    assert ".whl[new]" in raised.value.hint
