"""Hook mixins: every hook call is appended to :attr:`hook_log` as ``(name, kwargs)`` for tests."""

from bamboo_engine.testing.imp.base import StoreBacked
from bamboo_engine.utils.hook_forwarding import ForwardingAPIHooksMixin, ForwardingRuntimeHooksMixin


class HookRecorder(StoreBacked):
    def on_hook(self, name: str, **kwargs) -> None:
        log = getattr(self, "hook_log", None)
        if log is not None:
            with self._store.lock:
                log.append((name, kwargs))


class EngineAPIHooksMixin(HookRecorder, ForwardingAPIHooksMixin):
    """API hooks recorded into ``hook_log``."""


class EngineRuntimeHooksMixin(HookRecorder, ForwardingRuntimeHooksMixin):
    """Runtime hooks recorded into ``hook_log``."""
