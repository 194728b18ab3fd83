"""Two projects whose code has one package name, run in one process (a notebook, a test
session): each runs its own code, never the other's already imported."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from aether.run import run_pipeline


def test_each_project_runs_its_own_package_of_the_same_name(
    make_project: Callable[..., Path],
) -> None:
    first = make_project("first")
    second = make_project("second")
    nodes = second / "src" / "mini" / "nodes.py"
    nodes.write_text(nodes.read_text().replace('"n"] * factor', '"n"] * factor * 100'))

    assert run_pipeline(first, wait_for_lock=False).succeeded
    assert run_pipeline(second, wait_for_lock=False).succeeded

    totals = [(p / "data" / "03_primary" / "total.csv").read_text() for p in (first, second)]
    assert totals == ["total\n12\n", "total\n1200\n"]


def test_a_virtualenv_inside_the_project_never_unloads_installed_code(
    make_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The template's `.venv/` lives in the project: what it holds (Aether itself, pandas)
    is installed code, not the project's own, and stays imported."""
    import sys

    import aether.assets.status
    from aether.project import sources as project_sources

    project = make_project()
    site = project / ".venv" / "lib" / "python3.11" / "site-packages"
    (site / "aether").mkdir(parents=True)
    (site / "pandas").mkdir()
    monkeypatch.syspath_prepend(str(site))
    before = {name: sys.modules[name] for name in ("aether.assets.status", "pandas")}

    with project_sources.reading_project(project):
        pass

    assert {name: sys.modules[name] for name in before} == before
    assert aether.assets.status.AssetStatus is sys.modules["aether.assets.status"].AssetStatus
