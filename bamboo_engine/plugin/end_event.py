"""Custom executable end events and their ERI adapter."""

from typing import List

from bamboo_engine.eri.interfaces import ExecutableEvent


class ExecutableEndEvent:
    """Subclass and implement :meth:`execute`; raising fails the end event.

    Args:
        id: node id (optional; the runtime does not need it).
        name: display name.
        data: free data for the subclass.
    """

    def __init__(self, id=None, name=None, data=None):  # noqa: A002 - published name
        self.id = id
        self.name = name
        self.data = data

    def execute(self, in_subprocess, root_pipeline_id, current_pipeline_id):
        raise NotImplementedError(
            f"{type(self).__name__} must implement "
            "execute(in_subprocess, root_pipeline_id, current_pipeline_id)"
        )


class ExecutableEndEventAdapter(ExecutableEvent):
    """Calls a plugin end event the way the engine expects (``execute(pipeline_stack, root_pipeline_id)``)."""

    def __init__(self, event: ExecutableEndEvent):
        self.event = event

    def execute(self, pipeline_stack: List[str], root_pipeline_id: str) -> None:
        self.event.execute(
            in_subprocess=len(pipeline_stack) > 1,
            root_pipeline_id=root_pipeline_id,
            current_pipeline_id=pipeline_stack[-1],
        )
