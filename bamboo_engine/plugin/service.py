"""``Service``: the class plugin authors subclass (the pure-Python version).

The runtime never calls a ``Service`` directly: :class:`bamboo_engine.plugin.adapter.ServiceAdapter`
wraps it into the ERI ``Service`` the engine talks to.
"""

import copy
from typing import Any, Dict

from bamboo_engine.plugin.io import InputItem, OutputItem


class Service:
    """Base of plugin services.

    Class attributes:
        __need_schedule__: the service is scheduled after ``execute`` (POLL or callback).
        __multi_callback_enabled__: a callback service accepting several callbacks.
        __need_run_hook__: the engine calls the hook methods below.
        interval: an interval generator; set ⇒ POLL scheduling.

    Runtime attributes (``self.id``, ``self.version``, ``self.top_pipeline_id``,
    ``self.root_pipeline_id``, ``self.loop``, ``self.inner_loop``, ``self.logger``) are set by the
    runtime through :meth:`setup_runtime_attrs` before each call.
    """

    __need_schedule__ = False
    __need_run_hook__ = False
    __multi_callback_enabled__ = False
    interval: Any = None

    InputItem = InputItem
    OutputItem = OutputItem
    default_outputs = [
        OutputItem(name="Execution result", key="_result", type="boolean"),
        OutputItem(name="Loop times", key="_loop", type="int"),
        OutputItem(name="Inner loop times", key="_inner_loop", type="int"),
    ]

    schedule_result_attr = "__schedule_finish__"
    schedule_determine_attr = "__need_schedule__"
    run_hook_determine_attr = "__need_run_hook__"
    multi_callback_determine_attr = "__multi_callback_enabled__"

    def __init__(self, name=None):
        self.name = name
        # Generators keep a counter: every instance needs its own.
        self.interval = copy.deepcopy(self.interval)

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes not found normally: serve the runtime attributes.
        if name.startswith("__") or name == "_runtime_attrs":
            raise AttributeError(name)
        attrs: Dict[str, Any] = self.__dict__.get("_runtime_attrs", {})
        if name in attrs:
            return attrs[name]
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")

    # -- to implement ----------------------------------------------------------------------------

    def execute(self, data, parent_data):
        """Run the service; return True/None for success, False for failure (or raise)."""
        raise NotImplementedError(f"{type(self).__name__} must implement execute(data, parent_data)")

    def schedule(self, data, parent_data, callback_data=None):
        """One schedule round; ``callback_data`` is the callback dict (None for POLL)."""
        return True

    def rollback(self, data, parent_data, rollback_data=None):
        return True

    def outputs_format(self):
        return []

    def inputs_format(self):
        return []

    def inputs(self):
        return self.inputs_format()

    def outputs(self):
        return self.outputs_format() + self.default_outputs

    # -- flags -----------------------------------------------------------------------------------

    def need_schedule(self) -> bool:
        return bool(getattr(self, self.schedule_determine_attr, False))

    def need_run_hook(self) -> bool:
        return bool(getattr(self, self.run_hook_determine_attr, False))

    def multi_callback_enabled(self) -> bool:
        return bool(getattr(self, self.multi_callback_determine_attr, False))

    def finish_schedule(self):
        setattr(self, self.schedule_result_attr, True)

    def is_schedule_finished(self) -> bool:
        return bool(self.__dict__.get(self.schedule_result_attr, False))

    def callback_lock_retryable(self, callback_data=None) -> bool:
        return False

    def clean_status(self):
        self.__dict__.pop(self.schedule_result_attr, None)

    def setup_runtime_attrs(self, **kwargs):
        self.__dict__.setdefault("_runtime_attrs", {}).update(kwargs)

    # -- hooks (called only when __need_run_hook__; return values are ignored) --------------------

    def pre_resume_node(self, data, parent_data):
        pass

    def post_resume_node(self, data, parent_data):
        pass

    def pre_pause_node(self, data, parent_data):
        pass

    def post_pause_node(self, data, parent_data):
        pass

    def pre_retry_node(self, data, parent_data):
        pass

    def post_retry_node(self, data, parent_data):
        pass

    def pre_skip_node(self, data, parent_data):
        pass

    def post_skip_node(self, data, parent_data):
        pass

    def pre_forced_fail_activity(self, data, parent_data):
        pass

    def post_forced_fail_activity(self, data, parent_data):
        pass

    def pre_callback(self, data, parent_data, callback_data=None):
        pass

    def post_callback(self, data, parent_data, callback_data=None):
        pass

    def node_execute_fail(self, data, parent_data):
        pass

    def node_schedule_fail(self, data, parent_data, callback_data=None):
        pass

    def node_execute_exception(self, data, parent_data):
        pass

    def node_schedule_exception(self, data, parent_data, callback_data=None):
        pass

    def node_enter(self, data, parent_data):
        pass

    def node_finish(self, data, parent_data):
        pass

    def pre_execute(self, data, parent_data):
        pass

    def post_execute(self, data, parent_data):
        pass

    def pre_schedule(self, data, parent_data):
        pass

    def post_schedule(self, data, parent_data):
        pass
