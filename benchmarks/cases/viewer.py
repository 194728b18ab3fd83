"""The DAG viewer: time until a 5,000-node DAG is interactive (collapsed start).

The page is made by ``aether.insight.dag_view.to_html`` and opened from file:// in headless
Chromium by ``viewer/test/drive.mjs`` (playwright-core from ``npm ci`` in viewer/), which
reports the milliseconds from navigation to ``body[data-ready="true"]``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from harness import REPO_ROOT, Context, Result, Samples, seconds

NAME = "viewer"
TITLE = "DAG viewer: 5,000-node DAG interactive (collapsed start)"
ORDER = 90
BAR_SECONDS = 3.0
BAR = f"≤ {BAR_SECONDS:.0f} s"
NODES = 5_000


def run(ctx: Context) -> list[Result]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    node = shutil.which("node")
    if not chromium or not node or not (REPO_ROOT / "viewer" / "node_modules").is_dir():
        raise RuntimeError("needs Chromium, Node and `npm ci` in viewer/")
    sys.path.insert(0, str(REPO_ROOT / "aether-runtime" / "tests" / "integration" / "viz"))
    from test_viewer_browser import wide  # the same 5,000-node DAG the browser test draws

    from aether.insight.dag_view import to_html

    page = ctx.work_dir / "wide.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(to_html(wide(NODES)), encoding="utf-8")
    times = []
    for _ in range(ctx.repeats(full=5, quick=2)):
        done = subprocess.run(
            [node, str(REPO_ROOT / "viewer" / "test" / "drive.mjs"), str(page)],
            capture_output=True,
            text=True,
            check=True,
            env={"CHROMIUM": chromium, "PATH": "/usr/bin:/bin"},
        )
        times.append(json.loads(done.stdout)["readyMs"] / 1000)
    ours = Samples(f"{NODES:,}-node DAG to ready", times)
    return [
        Result(
            benchmark=NAME,
            title=TITLE,
            subject=ours,
            baseline=None,
            figure=seconds(ours.median),
            bar=BAR,
            met=ours.median <= BAR_SECONDS,
            method=(
                f"{len(times)} page loads from file:// in headless Chromium, each a new browser "
                "context; time from navigation to the viewer's ready flag (drawn, collapsed into "
                "50 groups by dotted-name prefix, layout in a Web Worker)."
            ),
            quick=ctx.quick,
        )
    ]
