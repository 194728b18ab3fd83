"""SIGINT and SIGTERM stop ``aether run`` cleanly instead of killing it mid-step.

While :func:`signals_stop_the_run` is active, either signal raises
:class:`~aether.errors.RunInterrupted` in the main thread: the orchestrator marks the nodes it
stops ``aborted``, the project lock is released on the way out, and the CLI exits 130
(SIGINT) or 143 (SIGTERM). A second signal during that clean-up is ignored, so the clean-up
finishes (SIGKILL still ends the process; the next run then aborts what was left).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from aether.errors import RunInterrupted

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def signals_stop_the_run() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into RunInterrupted for the duration of the block."""
    fired = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal fired
        if fired:
            return  # already stopping: let the clean-up finish
        fired = True
        raise RunInterrupted(signum)

    previous = {number: signal.signal(number, stop) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
