"""HooksMixin: the engine's API and runtime hooks as ``pipeline_event`` Django signals.

Each hook sends ``pipeline.eri.signals.pipeline_event`` (sender: :class:`HooksMixin`, as upstream) with a
:class:`PipelineEvent` whose ``event_type`` is the hook method name and whose ``data`` holds the hook's
named arguments — only when the ``ENABLE_PIPELINE_EVENT_SIGNALS`` setting is True (otherwise a hook costs
a check of the setting as :mod:`pipeline.eri.cache` keeps it).
"""

from typing import Any, Dict

from bamboo_engine.utils.hook_forwarding import ForwardingAPIHooksMixin, ForwardingRuntimeHooksMixin
from pipeline.eri import signals
from pipeline.eri.cache import runtime_cache


class PipelineEvent:
    """One engine event, as sent with the ``pipeline_event`` signal."""

    def __init__(self, event_type: str, data: Dict[str, Any]):
        self.event_type = event_type
        self.data = data

    def as_dict(self) -> Dict[str, Any]:
        return {"event_type": self.event_type, "data": self.data}

    def __repr__(self) -> str:
        return f"PipelineEvent({self.event_type!r}, {self.data!r})"


class HooksMixin(ForwardingAPIHooksMixin, ForwardingRuntimeHooksMixin):
    """Implements every hook of ``EngineAPIHooksMixin`` and ``EngineRuntimeHooksMixin`` as a signal."""

    def on_hook(self, name: str, **data: Any) -> None:
        if runtime_cache.event_signals_enabled():
            signals.pipeline_event.send(sender=HooksMixin, event=PipelineEvent(name, data))
