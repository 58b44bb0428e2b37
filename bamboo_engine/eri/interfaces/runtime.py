"""The whole Engine Runtime Interface: every concern plus preparing a pipeline to run.

Optional capability ``atomic_step()`` (not part of the abstract interface; the engine looks it up with
``getattr(runtime, "atomic_step", None)`` and runs without it): a method returning a context manager
whose block is one unit. The runtime calls made inside it take effect together or not at all (a
block that raises leaves none of its writes), other callers never see the unit half done, and the
messages it sends (``execute``, ``schedule``, ``set_next_schedule``) leave only once it completed. The
engine uses it for "put the process to sleep / join / wake + the messages that go with it" (so a
sleeping process always has its message in flight) and for "a node's results + its versioned final
state" (so a stale run, whose state version changed under it, leaves no results). It never runs service
or plugin code inside. The Django runtime implements it with ``transaction.atomic()`` (messages are
stored in its transactional outbox and published after the commit); the in-memory runtime with its
store lock (restoring execution data and context values if the block raises). Without it each call
stands alone.
"""

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
