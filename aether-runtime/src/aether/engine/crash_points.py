"""Test-only crash points: let a test kill a run at one exact instant.

Set ``AETHER_TEST_CRASH_AT`` to a point's name (``during-staging``, ``after-saving``: once an
output that cannot stage is saved, ``between-publishes``, ``after-publishing``) and
the process kills itself with SIGKILL when it gets there, as a power cut or the OOM killer
would. Unset (always, outside the test suite), :func:`crash_point` is one dictionary lookup
and does nothing.
"""

from __future__ import annotations

import os
import signal

CRASH_AT_ENV = "AETHER_TEST_CRASH_AT"


def crash_point(name: str) -> None:
    """Die here, at once and without cleanup, if ``AETHER_TEST_CRASH_AT`` names this point."""
    if os.environ.get(CRASH_AT_ENV) == name:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
