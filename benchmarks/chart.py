"""Draw a benchmark's cost-vs-size series as an SVG for docs/, with matplotlib.

matplotlib is no dependency of Aether or of the monorepo: ``draw`` runs this file as a script
in its own venv (``.bench/plot-venv``). The SVG is deterministic (fixed hash salt, no date),
so redrawing the same figures changes nothing in git.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import venvs


def draw(
    series: dict[str, dict[str, float]], title: str, target: Path, log: Callable[[str], None]
) -> None:
    """Write ``target`` (an SVG): one line per label, seconds against DAG size."""
    python = venvs.ensure_venv(*venvs.PLOT, log) / "python"
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "series.json"
        data.write_text(json.dumps({"title": title, "series": series}))
        done = subprocess.run(
            [str(python), __file__, str(data), str(target)], capture_output=True, text=True
        )
    if done.returncode != 0:
        raise RuntimeError(f"drawing {target.name} failed:\n{done.stderr[-800:]}")


def main(data_file: str, target: str) -> None:
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "aether-benchmarks"
    plt.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, diff-able
    data = json.loads(Path(data_file).read_text())
    # Full runs take seconds per thousand nodes, status and no-op runs a fraction of that:
    # one panel each, so neither flattens the other.
    panels = {
        "Full run": {k: v for k, v in data["series"].items() if "full run" in k},
        "Nothing to run": {k: v for k, v in data["series"].items() if "full run" not in k},
    }
    figure, all_axes = plt.subplots(1, 2, figsize=(10, 4.2))
    figure.suptitle(data["title"], fontsize=11)
    for axes, (name, series) in zip(all_axes, panels.items(), strict=True):
        for index, (label, points) in enumerate(series.items()):
            sizes = sorted(points, key=int)
            axes.plot(
                [int(size) for size in sizes],
                [points[size] for size in sizes],
                marker="osD^v"[index % 5],
                linestyle="--" if "script" in label else "-",
                label=label,
            )
        axes.set_title(name, fontsize=10)
        axes.set_xlabel("nodes in the DAG")
        axes.set_ylabel("seconds (median, fresh process)")
        axes.xaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")
        axes.set_xlim(left=0)
        axes.set_ylim(bottom=0)
        axes.grid(True, alpha=0.3)
        axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    figure.savefig(target, format="svg", metadata={"Date": None})


if __name__ == "__main__":
    main(*sys.argv[1:3])
