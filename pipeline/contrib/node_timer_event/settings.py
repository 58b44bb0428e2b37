"""The app's settings, as upstream projects read them (``node_timer_event_settings.<lower-case key>``).

``node_timer_event_settings.key_prefix`` is ``settings.PIPELINE_NODE_TIMER_EVENT_KEY_PREFIX``, read at
access through :mod:`pipeline.conf` (defaults there); ``redis_inst`` is the project's Redis client and
``adapter_class`` is the class ``PIPELINE_NODE_TIMER_EVENT_ADAPTER_CLASS`` names.
"""

from typing import Any

from django.utils.module_loading import import_string

from pipeline.conf import settings


def get_import_path(cls: Any) -> str:
    return f"{cls.__module__}.{cls.__name__}"


class NodeTimerEventSettngs:  # sic: upstream's name
    PREFIX = "PIPELINE_NODE_TIMER_EVENT"

    def __getattr__(self, item: str) -> Any:
        if item == "redis_inst":
            return settings.redis_inst
        value = getattr(settings, f"{self.PREFIX}_{item.upper()}")
        if item == "adapter_class" and isinstance(value, str):
            return import_string(value)
        return value


node_timer_event_settings = NodeTimerEventSettngs()
