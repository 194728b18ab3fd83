"""Monorepo-wide pytest settings: under `.ci/run` a skipped lane is a failure.

Locally, tests that need a tool the machine lacks (Chromium, PostgreSQL, Java) skip with a
reason. `.ci/run` installs every such tool and sets ``AETHER_NO_SKIP=1``, so a skip there means
a lane silently did not run: it is reported as a failure instead.
"""

from __future__ import annotations

import os

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    outcome = yield
    report = outcome.get_result()
    if (
        os.environ.get("AETHER_NO_SKIP") == "1"
        and report.skipped
        and not hasattr(report, "wasxfail")
    ):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under .ci/run, where every lane must run: {reason}"
