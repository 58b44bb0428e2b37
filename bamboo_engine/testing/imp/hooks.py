"""Hook mixins: every hook call is appended to :attr:`hook_log` as ``(name, kwargs)`` for tests."""

from typing import Any, List, Tuple

from bamboo_engine.testing.store import Store
from bamboo_engine.utils.hook_forwarding import ForwardingAPIHooksMixin, ForwardingRuntimeHooksMixin


class HookRecorder:
    # Not a StoreBacked: the forwarding hooks must come before the abstract interface hooks in the MRO.
    _store: Store
    hook_log: List[Tuple[str, dict]]

    def on_hook(self, name: str, **kwargs: Any) -> None:
        with self._store.lock:
            self.hook_log.append((name, kwargs))


class EngineAPIHooksMixin(HookRecorder, ForwardingAPIHooksMixin):
    """API hooks recorded into ``hook_log``."""


class EngineRuntimeHooksMixin(HookRecorder, ForwardingRuntimeHooksMixin):
    """Runtime hooks recorded into ``hook_log``."""
