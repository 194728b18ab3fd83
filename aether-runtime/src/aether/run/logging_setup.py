"""Logging for a run: the project's conf/<env>/logging.yml (or a plain default), and a
`RedactingFilter` on every handler so no secret reaches a log line."""

from __future__ import annotations

import logging

from aether.errors import ConfigError
from aether.project.context import AetherContext, read_logging_config
from aether.support.redaction import redact


def configure_logging(ctx: AetherContext) -> None:
    """Apply conf/<env>/logging.yml if the project has one; else a plain default."""
    config = read_logging_config(ctx.config)
    if config:
        from logging.config import dictConfig  # imported here: most projects have none

        try:
            dictConfig(config)
        except (ValueError, TypeError, AttributeError, ImportError) as exc:
            raise ConfigError(
                f"logging.yml is not a valid logging configuration: {exc}",
                hint="see the schema of logging.config.dictConfig (version: 1, handlers, ...)",
            ) from None
    elif not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    _mask_every_handler()


def _mask_every_handler() -> None:
    """A `RedactingFilter` on every handler: on handlers, not loggers, because a
    logger's filters do not see records propagated from its children."""
    loggers = [logging.getLogger()] + [
        item
        for item in logging.Logger.manager.loggerDict.values()
        if isinstance(item, logging.Logger)
    ]
    for handler in {handler for item in loggers for handler in item.handlers}:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


class RedactingFilter(logging.Filter):
    """Masks secrets in a log record's message and traceback text; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
