"""HooksMixin: the engine's API and runtime hooks as ``pipeline_event`` Django signals.

Each hook sends ``pipeline.eri.signals.pipeline_event`` (sender: :class:`HooksMixin`, as upstream) with a
:class:`PipelineEvent` whose ``event_type`` is the hook method name and whose ``data`` holds the hook's
named arguments — only when the ``ENABLE_PIPELINE_EVENT_SIGNALS`` setting is True (otherwise a hook costs
a cached flag check, see :class:`EventSwitch`).
"""

from typing import Any, Dict, Optional

from bamboo_engine.utils.hook_forwarding import ForwardingAPIHooksMixin, ForwardingRuntimeHooksMixin
from pipeline.conf import settings
from pipeline.eri import signals

SETTING = "ENABLE_PIPELINE_EVENT_SIGNALS"


class EventSwitch:
    """Whether hooks send ``pipeline_event``: the ``ENABLE_PIPELINE_EVENT_SIGNALS`` setting, read once.

    Every runtime hook asks, several times per activity, and reading a setting through Django costs a
    few microseconds each time. Caching is safe because settings only change in a running process
    through ``override_settings`` and the like, which send Django's ``setting_changed``; the
    ``pipeline.eri`` app connects :meth:`clear` to it.
    """

    def __init__(self) -> None:
        self._enabled: Optional[bool] = None

    def enabled(self) -> bool:
        if self._enabled is None:
            self._enabled = bool(getattr(settings, SETTING))
        return self._enabled

    def clear(self, setting: Optional[str] = None, **kwargs: Any) -> None:
        """Forget the cached value (a ``setting_changed`` receiver; other settings are ignored)."""
        if setting in (None, SETTING):
            self._enabled = None


EVENT_SWITCH = EventSwitch()


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
        if EVENT_SWITCH.enabled():
            signals.pipeline_event.send(sender=HooksMixin, event=PipelineEvent(name, data))
