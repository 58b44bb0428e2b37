"""Custom executable end events.

Subclass :class:`ExecutableEndEvent`, implement ``execute(self, in_subprocess, root_pipeline_id,
current_pipeline_id)`` (raise to fail the end event), then register the class under a node type with
``FlowNodeClsFactory.register_node(key, cls)`` and ``bamboo_engine.validator.api.add_sink_type(key)``.
"""

from bamboo_engine.plugin import ExecutableEndEvent

__all__ = ["ExecutableEndEvent"]
