"""The executable end event wrapper of the Django runtime."""

from bamboo_engine.plugin import ExecutableEndEventAdapter


class ExecutableEndEventWrapper(ExecutableEndEventAdapter):
    """Calls the registered end-event class as ``execute(in_subprocess, root_pipeline_id,
    current_pipeline_id)`` when the engine calls ``execute(pipeline_stack, root_pipeline_id)``."""
