"""The program's own logging (not the event store): structlog, configured once by the CLI.

Loggers are lazy: a message below the configured level costs one comparison, and
structlog itself is imported only when something is actually logged. That keeps it
off the start-up path of every command (importing it costs ~40 ms).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

_level = logging.WARNING


def _threshold(level: str | None) -> int:
    name = (level or os.environ.get("INTELSIM_LOG", "warning")).upper()
    value = logging.getLevelName(name)
    return value if isinstance(value, int) else logging.WARNING


def configure_logging(level: str | None = None) -> None:
    """Log warnings and above to stderr; INTELSIM_LOG=debug|info shows more."""
    global _level
    _level = _threshold(level)
    if "structlog" in sys.modules:  # (re)configured on the next message that is logged
        sys.modules["structlog"].reset_defaults()


def _structlog() -> Any:
    import structlog

    # a test's structlog.testing.capture_logs() configures structlog itself: keep it
    if not structlog.is_configured():
        structlog.configure(
            processors=[
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.dev.ConsoleRenderer(colors=False),
            ],
            wrapper_class=structlog.make_filtering_bound_logger(_level),
            logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
            cache_logger_on_first_use=False,
        )
    return structlog


class Logger:
    """A named structlog logger that imports structlog only when it has something to say."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _log(self, level: int, method: str, event: str, **fields: Any) -> None:
        if level >= _level:
            getattr(_structlog().get_logger(self.name), method)(event, **fields)

    def debug(self, event: str, **fields: Any) -> None:
        self._log(logging.DEBUG, "debug", event, **fields)

    def info(self, event: str, **fields: Any) -> None:
        self._log(logging.INFO, "info", event, **fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._log(logging.WARNING, "warning", event, **fields)

    def error(self, event: str, **fields: Any) -> None:
        self._log(logging.ERROR, "error", event, **fields)


def get_logger(name: str) -> Logger:
    """A named logger for a module of intelsim (warnings only, to stderr, until configured)."""
    return Logger(name)
