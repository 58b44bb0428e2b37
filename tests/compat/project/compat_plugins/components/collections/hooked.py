"""A callback plugin that runs the engine's hooks (``__need_run_hook__``) and records every call."""

from compat_plugins.recorders import qualified_name, record
from pipeline.component_framework.component import Component
from pipeline.core.flow.activity import Service

__group_name__ = "Compat hooks"


class HookedService(Service):
    """Waits for one callback (``{"ok": false}`` fails it); each hook writes a ``HookRecord``."""

    __need_schedule__ = True
    __need_run_hook__ = True

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        if not (callback_data or {}).get("ok", True):
            data.set_outputs("ex_data", "the callback reported a failure")
            return False
        return True

    def _record(self, hook, callback_data=None, takes_callback_data=False):
        # The runtime attributes a plugin reads in its hooks, wherever the hook runs (worker or API caller).
        detail = {"root_pipeline_id": self.root_pipeline_id, "version": self.version, "loop": self.loop}
        if takes_callback_data:
            detail["callback_data_type"] = (
                qualified_name(callback_data) if callback_data is not None else None
            )
            detail["callback_data"] = getattr(callback_data, "data", None)
        record("service_hook", hook, self.id, self, detail)
        return True

    def node_enter(self, data, parent_data):
        return self._record("node_enter")

    def pre_execute(self, data, parent_data):
        return self._record("pre_execute")

    def post_execute(self, data, parent_data):
        return self._record("post_execute")

    def pre_schedule(self, data, parent_data):
        return self._record("pre_schedule")

    def post_schedule(self, data, parent_data):
        return self._record("post_schedule")

    def node_finish(self, data, parent_data):
        return self._record("node_finish")

    def pre_callback(self, data, parent_data, callback_data=None):
        return self._record("pre_callback", callback_data, takes_callback_data=True)

    def post_callback(self, data, parent_data, callback_data=None):
        return self._record("post_callback", callback_data, takes_callback_data=True)

    def node_schedule_fail(self, data, parent_data, callback_data=None):
        return self._record("node_schedule_fail", callback_data, takes_callback_data=True)

    def node_schedule_exception(self, data, parent_data, callback_data=None):
        return self._record("node_schedule_exception", callback_data, takes_callback_data=True)


class HookedComponent(Component):
    name = "Hooked callback"
    code = "compat_hooked"
    bound_service = HookedService
