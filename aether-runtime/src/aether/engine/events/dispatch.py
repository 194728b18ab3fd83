"""Handing a run's events to its listeners, in order, in the parent process.

A listener is any object with one method, ``on_event(event)``: one method rather than one
per event type, so a listener picks the events it wants (``isinstance`` or ``match``), a new
event type breaks no listener, and a forwarding listener (to a queue, a log, OpenLineage) is
three lines.

Two kinds of listener, called in this order for every event:

- the run's own (the state recorder, the result builder): what they raise goes up, as
  it did before events, because a state store that cannot record must fail the node;
- everyone else's (progress, alerts, a user's ``listeners=``): what they raise is
  contained: logged once per listener, secrets masked, and the run goes on, its state
  recorded as if the listener were not there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from aether.engine.events.types import RunEvent
from aether.errors import RunInterrupted
from aether.support.redaction import redact

logger = logging.getLogger("aether.run")


@runtime_checkable
class RunListener(Protocol):
    """Receives every event of a run, in order, in the process that runs it.

    Example:
        ```python
        class Printer:
            def on_event(self, event: RunEvent) -> None:
                if isinstance(event, NodeFailed):
                    print(event.node, "failed:", event.result.error)

        run_pipeline("path/to/project", listeners=[Printer()])
        ```
    """

    def on_event(self, event: RunEvent) -> None:
        """One event of the run; what it raises is logged once and the run goes on.

        Args:
            event: The event (a `RunEvent` subclass).
        """


class EventDispatcher:
    """Calls the run's own listeners, then the others, for each event (see the module)."""

    def __init__(
        self, core: Iterable[RunListener] = (), listeners: Iterable[RunListener] = ()
    ) -> None:
        self.core = tuple(core)
        self.listeners = tuple(listeners)
        self._broken: set[int] = set()  # listeners whose failure was logged already

    def emit(self, event: RunEvent) -> None:
        for listener in self.core:
            listener.on_event(event)
        for listener in self.listeners:
            try:
                listener.on_event(event)
            except RunInterrupted:  # a signal arriving during a listener stops the run
                raise
            except Exception as exc:
                self._contained(listener, event, exc)

    def _contained(self, listener: RunListener, event: RunEvent, exc: Exception) -> None:
        if id(listener) in self._broken:
            logger.debug("run listener %s failed again", type(listener).__name__)
            return
        self._broken.add(id(listener))
        # The listener's message may quote anything it was given (credentials in a URL).
        logger.warning(
            "run listener %s failed on %s (%s: %s); the run goes on without it noticing, "
            "and its further errors are not logged",
            type(listener).__name__,
            type(event).__name__,
            type(exc).__name__,
            redact(str(exc)),
        )
