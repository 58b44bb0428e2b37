"""Start and end events."""

from bamboo_engine.builder.flow.base import Element

__all__ = ["EmptyStartEvent", "EmptyEndEvent", "ExecutableEndEvent"]


class EmptyStartEvent(Element):
    def type(self):
        return "EmptyStartEvent"


class EmptyEndEvent(Element):
    def type(self):
        return "EmptyEndEvent"


class ExecutableEndEvent(Element):
    """An end event that runs the end-event class registered under ``type``.

    Args:
        type: the registered end-event code, written as the node ``type``.
        **kwargs: passed to :class:`Element` (``id``, ``name``, ``outgoing``).
    """

    def __init__(self, type, **kwargs):  # noqa: A002 - upstream's published signature
        super().__init__(**kwargs)
        self._type = type

    def type(self):
        return self._type
