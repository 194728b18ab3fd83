"""Python's cycle collector paused while Aether builds many objects at once.

Loading a 10,000-node project and judging it makes hundreds of thousands of small objects
(nodes, entries, statuses), none of them in a reference cycle: reference counting frees
them. Each 700 allocations the cycle collector runs anyway, and every so often it walks
every object alive; on such a project that costs a quarter of ``aether status``. Pausing it
for those steps (never while a node runs) saves that. What was made meanwhile is then
frozen (``gc.freeze``): still freed by reference counting when no longer used, but never
walked again by the collector (nor at exit), so a cycle among those objects would be kept
until the process ends: they hold none.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collection_paused() -> Iterator[None]:
    """The cycle collector off inside the block (as it was, after it: nesting is safe)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            # What was made meanwhile is set aside for good (gc.freeze): the collector would
            # otherwise walk all of it at its next run, or when Python exits.
            gc.freeze()
            gc.enable()
