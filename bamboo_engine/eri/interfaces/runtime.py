"""The whole Engine Runtime Interface: every concern plus preparing a pipeline to run."""

from abc import abstractmethod

from bamboo_engine.eri.interfaces._export import public
from bamboo_engine.eri.interfaces.config import ConfigMixin
from bamboo_engine.eri.interfaces.context import ContextMixin
from bamboo_engine.eri.interfaces.data import DataMixin
from bamboo_engine.eri.interfaces.history import ExecutionHistoryMixin
from bamboo_engine.eri.interfaces.hooks import EngineAPIHooksMixin, EngineRuntimeHooksMixin
from bamboo_engine.eri.interfaces.interrupt import InterruptMixin
from bamboo_engine.eri.interfaces.node import NodeMixin
from bamboo_engine.eri.interfaces.plugin import PluginManagerMixin
from bamboo_engine.eri.interfaces.process import ProcessMixin
from bamboo_engine.eri.interfaces.rollback import RollbackMixin
from bamboo_engine.eri.interfaces.schedule import ScheduleMixin
from bamboo_engine.eri.interfaces.state import StateMixin
from bamboo_engine.eri.interfaces.task import TaskMixin


@public
class EngineRuntimeInterface(
    PluginManagerMixin,
    EngineAPIHooksMixin,
    EngineRuntimeHooksMixin,
    TaskMixin,
    ProcessMixin,
    StateMixin,
    NodeMixin,
    ScheduleMixin,
    ContextMixin,
    DataMixin,
    ExecutionHistoryMixin,
    InterruptMixin,
    ConfigMixin,
    RollbackMixin,
):
    """What a runtime implements for the engine.

    Every method is abstract (a runtime missing one cannot be instantiated) except the hooks of
    :class:`EngineAPIHooksMixin` and :class:`EngineRuntimeHooksMixin`, which default to doing nothing.
    Runtimes should also implement ``EventMixin`` (not a base here, for compatibility).
    """

    @abstractmethod
    def prepare_run_pipeline(
        self,
        pipeline: dict,
        root_pipeline_data: dict,
        root_pipeline_context: dict,
        subprocess_context: dict,
        **options,
    ) -> int:
        """Store a validated pipeline tree (nodes, data, context, states); returns the root process id."""

    @abstractmethod
    def node_rerun_limit(self, root_pipeline_id: str, node_id: str) -> int:
        """How many times ``node_id`` may be re-entered in one run."""
