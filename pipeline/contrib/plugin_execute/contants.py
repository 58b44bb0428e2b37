"""States of a plugin execute task as class attributes (``State.RUNNING``), under the imported name."""

from pipeline.contrib.plugin_execute import states

__all__ = ["State"]


class State:
    READY = states.READY
    RUNNING = states.RUNNING
    FINISHED = states.FINISHED
    FAILED = states.FAILED
