"""Two projects whose code has one package name, run in one process (a notebook, a test
session): each runs its own code, never the other's already imported."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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
