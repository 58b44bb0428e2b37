"""Custom end events: ``PlaygroundEndEvent`` records its runs, ``PlaygroundFailingEndEvent`` raises.

Use in a tree: ``bamboo_engine.builder.ExecutableEndEvent(type="PlaygroundEndEvent")``.
"""

import threading

from bamboo_engine.validator.api import add_sink_type
from pipeline.core.flow import ExecutableEndEvent, FlowNodeClsFactory


class PlaygroundEndEvent(ExecutableEndEvent):
    """Appends ``(in_subprocess, root_pipeline_id, current_pipeline_id)`` to ``executions``."""

    executions: list = []
    _lock = threading.Lock()

    def execute(self, in_subprocess, root_pipeline_id, current_pipeline_id):
        with self._lock:
            self.executions.append((in_subprocess, root_pipeline_id, current_pipeline_id))


class PlaygroundEndEventError(RuntimeError):
    """Raised by ``PlaygroundFailingEndEvent``."""


class PlaygroundFailingEndEvent(ExecutableEndEvent):
    """Always raises: the end event becomes FAILED with the traceback in ``ex_data``."""

    def execute(self, in_subprocess, root_pipeline_id, current_pipeline_id):
        raise PlaygroundEndEventError(f"end event of pipeline {current_pipeline_id} refuses to finish")


for _node_type, _node_cls in (
    ("PlaygroundEndEvent", PlaygroundEndEvent),
    ("PlaygroundFailingEndEvent", PlaygroundFailingEndEvent),
):
    FlowNodeClsFactory.register_node(_node_type, _node_cls)
    add_sink_type(_node_type)
