"""The maintainers' page "Release Aether" (docs/release.md) describes the release workflow as it is.

The page's table names the workflow's jobs, and its "run the same checks locally" block runs
each check command of the workflow's build job, so a change to one without the other fails.
"""

from __future__ import annotations

import re

import yaml

from .conftest import REPO_ROOT

PAGE = REPO_ROOT / "docs" / "release.md"
RELEASE = REPO_ROOT / ".github" / "workflows" / "release.yml"


def _workflow() -> dict:
    return yaml.safe_load(RELEASE.read_text(encoding="utf-8"))


def _local_checks() -> str:
    """The bash block that follows "To run the same checks locally" on the page."""
    page = PAGE.read_text(encoding="utf-8")
    after = page[page.index("To run the same checks locally") :]
    found = re.search(r"```bash\n(.*?)```", after, re.S)
    assert found, "docs/release.md: no bash block after 'To run the same checks locally'"
    return found[1]


def test_the_page_lists_the_jobs_of_the_workflow():
    page = PAGE.read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([\w-]+)` \|", page, re.M)
    assert listed == list(_workflow()["jobs"])


def test_the_local_checks_run_every_check_of_the_build_job():
    local = _local_checks().replace('"$GITHUB_REF_NAME"', "v1.4.2")
    steps = _workflow()["jobs"]["build"]["steps"]
    commands = [line.strip() for step in steps for line in step.get("run", "").splitlines()]
    checks = [c for c in commands if c and not c.startswith("mkdir")]
    for command in checks:
        command = command.replace('"$GITHUB_REF_NAME"', "v1.4.2").split(" > ")[0]
        assert command in local, f"docs/release.md does not run `{command}` locally"
