"""The Makefile's own uv (.tools/bin/uv, when none is on PATH) in a folder whose path has a space.

A stand-in uv records what it is asked: no network, no real install.
"""

from __future__ import annotations

import shutil
import subprocess

from .conftest import bake_with_copier

FAKE_UV = """#!/bin/sh
echo "$@" >> "${0%/*}/calls.txt"
"""


def test_make_install_runs_the_bootstrapped_uv_under_a_path_with_spaces(template_repo, tmp_path):
    project = bake_with_copier(template_repo, tmp_path / "my work" / "sales", {})
    tools = project / ".tools" / "bin"
    tools.mkdir(parents=True)
    (tools / "uv").write_text(FAKE_UV)
    (tools / "uv").chmod(0o755)
    no_uv = tmp_path / "empty-bin"  # a PATH with no uv on it (nor anything else)
    no_uv.mkdir()
    make = shutil.which("make")
    assert make is not None

    done = subprocess.run(
        [make, "install"], cwd=project, capture_output=True, text=True, env={"PATH": str(no_uv)}
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert (tools / "calls.txt").read_text().splitlines() == ["--version", "sync"]
