"""``InMemoryRuntime``: the whole ERI on plain Python structures, composed from one mixin per concern."""

from typing import Any, Dict, Optional

from bamboo_engine.eri import interfaces as eri
from bamboo_engine.testing.clock import ManualClock, RealClock
from bamboo_engine.testing.dispatcher import Dispatcher
from bamboo_engine.testing.helpers import TestingHelpersMixin
from bamboo_engine.testing.imp.config import ConfigMixin
from bamboo_engine.testing.imp.context import ContextMixin
from bamboo_engine.testing.imp.data import DataMixin
from bamboo_engine.testing.imp.history import ExecutionHistoryMixin
from bamboo_engine.testing.imp.hooks import EngineAPIHooksMixin, EngineRuntimeHooksMixin
from bamboo_engine.testing.imp.interrupt import EventMixin, InterruptMixin
from bamboo_engine.testing.imp.node import NodeMixin
from bamboo_engine.testing.imp.pipeline import PipelineMixin
from bamboo_engine.testing.imp.plugin import PluginManagerMixin
from bamboo_engine.testing.imp.process import ProcessMixin
from bamboo_engine.testing.imp.rollback import RollbackMixin
from bamboo_engine.testing.imp.schedule import ScheduleMixin
from bamboo_engine.testing.imp.state import StateMixin
from bamboo_engine.testing.imp.task import TaskMixin
from bamboo_engine.testing.store import Store

DEFAULT_NODE_RERUN_LIMIT = 100


class InMemoryRuntime(
    TestingHelpersMixin,
    PipelineMixin,
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
    EventMixin,
    ConfigMixin,
    RollbackMixin,
    eri.EngineRuntimeInterface,
    eri.EventMixin,
):
    """A complete ERI runtime for unit tests: no database, no broker.

    Args:
        executor: ``"sync"`` (tasks run in the thread calling :meth:`run_until_idle` /
            :meth:`wait_for_state`) or ``"threads"`` (a pool of ``max_workers`` threads runs them).
        max_workers: pool size of the threads executor.
        clock: defaults to a :class:`ManualClock` (sync) or a :class:`RealClock` (threads).
        config: overrides of ``get_config`` names (else ``bamboo_engine.config.Settings``).
        node_rerun_limit: what :meth:`node_rerun_limit` returns.
        allow_pickle: store values that are not JSON serialisable with pickle (off by default).
        raise_task_errors: re-raise, from :meth:`run_until_idle` / :meth:`wait_for_state`, exceptions
            that escaped a task body (a Celery worker would only log them).
    """

    def __init__(
        self,
        executor: str = "sync",
        max_workers: int = 4,
        clock: Optional[Any] = None,
        config: Optional[Dict[str, Any]] = None,
        node_rerun_limit: int = DEFAULT_NODE_RERUN_LIMIT,
        allow_pickle: bool = False,
        raise_task_errors: bool = True,
    ):
        self._store = Store(allow_pickle=allow_pickle)
        self._clock = clock or (RealClock() if executor == "threads" else ManualClock())
        self._dispatcher = Dispatcher(self._clock, self.consume, executor=executor, max_workers=max_workers)
        self._services = {}
        self._end_events = {}
        self._compute_variables = {}
        self.config_overrides = dict(config or {})
        self.rerun_limit = node_rerun_limit
        self.raise_task_errors = raise_task_errors
        self._errors_seen = 0
        self.hook_log: list = []
        self.interrupt_events: list = []
        self.state_listeners: list = []

    @property
    def clock(self):
        """The clock every timestamp and delayed task uses (``now()``, ``advance(seconds)``)."""
        return self._clock

    @property
    def store(self) -> Store:
        """The raw records, for assertions the ERI does not expose (e.g. process ``asleep``)."""
        return self._store
