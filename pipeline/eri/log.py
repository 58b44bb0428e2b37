"""Node logs: the ``self.logger`` of services and the handlers that store log lines as ``LogEntry`` rows.

Configure through Django ``LOGGING``, e.g.::

    "handlers": {"node": {"class": "pipeline.eri.log.ERINodeLogHandler"},
                 "engine": {"class": "pipeline.eri.log.EngineContextLogHandler"}},
    "loggers": {"pipeline.eri.log": {"handlers": ["node"], "level": "INFO", "propagate": True},
                "bamboo_engine": {"handlers": ["engine"], "level": "INFO", "propagate": True}},
"""

import logging
from typing import Any, Optional

from bamboo_engine import local

LOGGER_NAME = "pipeline.eri.log"


def get_logger(node_id: str, loop: int, version: str) -> logging.LoggerAdapter:
    """A logger whose records carry the node run they belong to (``node_id``, ``loop``, ``version``)."""
    return logging.LoggerAdapter(
        logging.getLogger(LOGGER_NAME), {"node_id": node_id, "loop": loop, "version": version}
    )


def _save(record: logging.LogRecord, node_id: str, loop: Any, version: Optional[str], message: str) -> None:
    from django.db import connections, transaction

    from pipeline.eri.models import LogEntry

    fields = {
        "node_id": node_id,
        "loop": int(loop) if loop is not None else 1,
        "version": version or "",
        "logger_name": record.name[:128],
        "level_name": record.levelname[:32],
        "message": message,
    }
    connection = connections[LogEntry.objects.db]
    if connection.vendor != "postgresql":
        LogEntry.objects.create(**fields)
        return
    # PostgreSQL's text type rejects NUL: written as the visible ``\x00`` instead of losing the line.
    fields["message"] = message.replace("\x00", "\\x00")
    if not connection.in_atomic_block:
        LogEntry.objects.create(**fields)
        return
    # A failed statement aborts a PostgreSQL transaction: a log line that cannot be stored must not take
    # the step that logged it down with it (the handlers swallow the error), hence the savepoint.
    with transaction.atomic(using=connection.alias):
        LogEntry.objects.create(**fields)


class ERINodeLogHandler(logging.Handler):
    """Stores records that carry a ``node_id`` (those of :func:`get_logger`) as ``LogEntry`` rows."""

    def emit(self, record: logging.LogRecord) -> None:
        node_id = getattr(record, "node_id", None)
        if not node_id:
            return
        try:
            _save(
                record,
                node_id,
                getattr(record, "loop", 1),
                getattr(record, "version", ""),
                self.format(record),
            )
        except Exception:  # noqa: BLE001 - a log handler never raises
            self.handleError(record)


class EngineContextLogHandler(logging.Handler):
    """Stores engine records under the node the current thread is running (``bamboo_engine.local``)."""

    def emit(self, record: logging.LogRecord) -> None:
        info = local.get_node_info()
        if info is None:
            return
        try:
            _save(record, info.node_id, info.loop, info.version, self.format(record))
        except Exception:  # noqa: BLE001 - a log handler never raises
            self.handleError(record)
