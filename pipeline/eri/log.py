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
    from pipeline.eri.models import LogEntry

    LogEntry.objects.create(
        node_id=node_id,
        loop=int(loop) if loop is not None else 1,
        version=version or "",
        logger_name=record.name[:128],
        level_name=record.levelname[:32],
        message=message,
    )


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
