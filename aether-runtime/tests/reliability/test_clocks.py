"""A clock that ran ahead once never hides an overdue asset.

A run on a clock 30 days ahead records data times in the future. Once the clock is right
again, those times would make the data look younger than it is until the real clock caught
up: fresh for a month where a project run on a right clock says overdue. The wrong clock is
simulated for the ``aether`` process alone, by a ``sitecustomize`` that shifts ``time.time``.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from .conftest import assert_no_traceback

Aether = Callable[..., subprocess.CompletedProcess[str]]
MakeProject = Callable[..., Path]
HOUR, DAY = 3600.0, 86400.0

FRESHNESS = "  freshness: {error_after: 1h}\n"


def with_freshness(catalog: str) -> str:
    """Both the source ``numbers`` and the output ``total`` are overdue after an hour."""
    lines = catalog.replace(
        "  metadata: {owner: data-team, description: Numbers to add up}\n",
        "  metadata: {owner: data-team, description: Numbers to add up}\n" + FRESHNESS,
    )
    return lines + FRESHNESS


def shifted_clock(folder: Path, seconds: float) -> dict[str, str]:
    """The environment of an ``aether`` whose ``time.time()`` is ``seconds`` off."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(
        "import time\n"
        "_real = time.time\n"
        f"time.time = lambda: _real() + {seconds!r}\n"
        "_real_ns = time.time_ns\n"
        f"time.time_ns = lambda: _real_ns() + {int(seconds * 1e9)}\n"
    )
    paths = [str(folder), os.environ.get("PYTHONPATH")]
    return {"PYTHONPATH": os.pathsep.join(path for path in paths if path)}


def overdue(asset: dict) -> bool:
    return asset["status"] == "stale" and "overdue" in (asset["reason"] or "")


def verdicts(aether: Aether, project: Path) -> dict[str, dict]:
    result = aether(project, "status", "--json")
    assert_no_traceback(result)
    return {asset["name"]: asset for asset in json.loads(result.stdout)["assets"]}


def test_a_run_with_the_clock_ahead_never_hides_an_overdue_asset(
    make_project: MakeProject, aether: Aether, tmp_path: Path
) -> None:
    """Two projects ran two hours ago, one on a right clock, one on a clock 30 days ahead
    (a `status` there too, which caches its answer). With the clock right again, both say
    their source and its output are overdue; the one whose data times lay in the future also
    warns about them, and stays overdue on later looks (the correction is recorded)."""
    two_hours_ago = time.time() - 2 * HOUR
    projects = {}
    for name, offset in (("control", -2 * HOUR), ("ahead", 30 * DAY - 2 * HOUR)):
        project = make_project(name, catalog=with_freshness)
        raw = project / "data/01_raw/numbers.csv"
        os.utime(raw, (two_hours_ago - HOUR, two_hours_ago - HOUR))
        env = shifted_clock(tmp_path / f"clock-{name}", offset)
        assert aether(project, "run", env=env).returncode == 0
        assert aether(project, "status", "--json", env=env).returncode == 0
        projects[name] = project

    control = verdicts(aether, projects["control"])
    assert all(overdue(control[name]) for name in ("numbers", "total")), control

    for look in range(2):
        ahead = verdicts(aether, projects["ahead"])
        for name in ("numbers", "total"):
            assert overdue(ahead[name]), (look, ahead[name])
            assert ahead[name]["verdict"] == control[name]["verdict"], (look, ahead[name])
    first_look = aether(projects["ahead"], "status")
    assert "overdue" in first_look.stdout, first_look.stdout


def test_a_data_time_in_the_future_is_warned_about(
    make_project: MakeProject, aether: Aether, tmp_path: Path
) -> None:
    """The first look after the clock was corrected says that a data time lay in the future
    and was set back, for the source and for what was built from it."""
    project = make_project(catalog=with_freshness)
    assert aether(project, "run", env=shifted_clock(tmp_path / "clock", 30 * DAY)).returncode == 0
    statuses = verdicts(aether, project)
    for name in ("numbers", "total"):
        warnings = " ".join(statuses[name]["warnings"])
        assert "in the future" in warnings, statuses[name]
