"""The app's settings, as upstream projects read them (``node_timeout_settings.<lower-case key>``).

``node_timeout_settings.handle_queue`` is ``settings.PIPELINE_NODE_TIMEOUT_HANDLE_QUEUE``, read at
access through :mod:`pipeline.conf` (defaults there); ``redis_inst`` is the project's Redis client and
``handler`` falls back to the built-in action map.
"""

from typing import Any

from pipeline.conf import settings


class NodeTimeoutSettngs:  # sic: upstream's name
    PREFIX = "PIPELINE_NODE_TIMEOUT"

    def __getattr__(self, item: str) -> Any:
        if item == "redis_inst":
            return settings.redis_inst
        value = getattr(settings, f"{self.PREFIX}_{item.upper()}")
        if item == "handler" and value is None:
            from pipeline.contrib.node_timeout.handlers import node_timeout_handler

            return node_timeout_handler
        return value


node_timeout_settings = NodeTimeoutSettngs()
