"""The Engine: control operations (``ControlsMixin``) plus the worker entry points (``WorkerMixin``)."""

from bamboo_engine.engine.controls import ControlsMixin
from bamboo_engine.engine.worker import WorkerMixin, interrupt_exception_catcher
from bamboo_engine.eri.interfaces import EngineRuntimeInterface

__all__ = ["Engine", "interrupt_exception_catcher"]


class Engine(ControlsMixin, WorkerMixin):
    """Runs pipelines on ``runtime``.

    Control methods raise on failure (``bamboo_engine.api`` wraps them into results); ``execute`` and
    ``schedule`` are called by the runtime's task consumer for each message.
    """

    def __init__(self, runtime: EngineRuntimeInterface):
        self.runtime = runtime
