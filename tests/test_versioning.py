"""The runtime's version comes from the git tag: one tag versions the runtime and the template.

A scratch clone of this checkout is tagged and built with uv, as the release workflow does;
the wheel's name and metadata must carry the tag's version, and an untagged commit a dev one.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO_ROOT, git

UV = shutil.which("uv")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(UV is None, reason="needs uv on PATH (make test provides it)"),
]


@pytest.fixture(scope="module")
def scratch_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of this checkout's HEAD with no tags."""
    clone = tmp_path_factory.mktemp("release") / "aether"
    git("clone", "--quiet", "--no-tags", str(REPO_ROOT), str(clone), cwd=REPO_ROOT)
    for tag in git("tag", cwd=clone).split():
        git("tag", "-d", tag, cwd=clone)
    return clone


def build_wheel(clone: Path, out: Path) -> tuple[str, str]:
    """Build the runtime's wheel; return (file name, Version from its METADATA)."""
    done = subprocess.run(
        [UV, "build", "--wheel", "--out-dir", str(out), "aether-runtime"],
        cwd=clone,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        text = archive.read(metadata).decode()
    version = re.search(r"^Version: (.+)$", text, re.MULTILINE)
    assert version is not None, text
    return wheel.name, version.group(1)


def test_a_tagged_build_carries_the_tag_version(scratch_clone, tmp_path):
    git("tag", "v1.4.2", cwd=scratch_clone)
    try:
        name, version = build_wheel(scratch_clone, tmp_path / "tagged")
    finally:
        git("tag", "-d", "v1.4.2", cwd=scratch_clone)
    assert version == "1.4.2"
    assert name == "aether_data-1.4.2-py3-none-any.whl"


def test_an_untagged_build_gets_a_dev_version(scratch_clone, tmp_path):
    _, version = build_wheel(scratch_clone, tmp_path / "untagged")
    assert ".dev" in version, version
