"""The whole Engine Runtime Interface: every concern, preparing a pipeline to run, and the optional
capabilities a runtime declares.

**Capabilities** are class attributes of the runtime, declared, never probed: the engine reads them, and
a runtime that declares nothing gets the defaults of :class:`EngineRuntimeInterface`.

* ``CURRENT_NODE_BEATS`` (default False): ``set_current_node`` also writes the process heartbeat, so the
  engine never calls ``beat`` itself (one write less per message). The heartbeat then also says that a
  run reached a node of its message: a run that only woke the process has not moved it anywhere, which
  is what a runtime taking over a dead worker's message needs to know.
* ``ATOMIC_STEP`` (default False): the runtime has an ``atomic_step()`` method returning a context manager
  whose block is one unit. The runtime calls made inside take effect together or not at all (a block
  that raises leaves none of its writes), other callers never see the unit half done, and the messages it
  sends (``execute``, ``schedule``, ``set_next_schedule``) leave only once it completed. The engine uses it
  for "put the process to sleep / join / wake + the messages that go with it" (so a sleeping process
  always has its message in flight) and for "a node's results + its versioned final state" (so a stale
  run, whose state version changed under it, leaves no results). It never runs service or plugin code
  inside. Without it each call stands alone. A class declaring it without the method is refused when it
  is defined.
* ``DELAYED_EXECUTE`` (default False): the runtime has ``execute_later(process_id, node_id,
  root_pipeline_id, parent_pipeline_id, countdown, headers)``, an execute message due ``countdown``
  seconds from now, sent like ``execute`` (inside a unit: once the unit completed). The engine needs it
  for a ServiceActivity's ``retry_policy`` (``bamboo_engine.retry_policy``); on a runtime without it a
  failure of such a node waits for an operator, as without a policy. A class declaring it without the
  method is refused when it is defined.
* ``handle_execute_interrupt_event`` / ``handle_schedule_interrupt_event`` (the methods of ``EventMixin``):
  called after the engine re-dispatched an interrupted step; by default the event is ignored.

The Django runtime declares the three flags (``set_current_node`` writes the heartbeat; ``atomic_step()`` is
``transaction.atomic()``, messages are stored in its transactional outbox and published after the
commit; ``execute_later`` stores a delayed message there); the in-memory runtime declares ``ATOMIC_STEP``
(a store transaction: writes are undone and messages dropped if the block raises) and
``DELAYED_EXECUTE`` (its dispatcher runs the message when the clock reaches its due time).
"""

from abc import abstractmethod
from typing import ClassVar

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
from bamboo_engine.eri.models.event import ExecuteInterruptEvent, ScheduleInterruptEvent


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
    :class:`EngineAPIHooksMixin` and :class:`EngineRuntimeHooksMixin`, which default to doing nothing,
    and the optional capabilities (see the module docstring), which default to "not offered".
    Runtimes should also implement ``EventMixin`` (not a base here, for compatibility); its handlers
    default to ignoring the event.
    """

    CURRENT_NODE_BEATS: ClassVar[bool] = False
    ATOMIC_STEP: ClassVar[bool] = False
    DELAYED_EXECUTE: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.ATOMIC_STEP and not callable(getattr(cls, "atomic_step", None)):
            raise TypeError(f"{cls.__qualname__} declares ATOMIC_STEP but has no atomic_step() method")
        if cls.DELAYED_EXECUTE and not callable(getattr(cls, "execute_later", None)):
            raise TypeError(f"{cls.__qualname__} declares DELAYED_EXECUTE but has no execute_later() method")

    def handle_execute_interrupt_event(self, event: ExecuteInterruptEvent) -> None:
        """An ``Engine.execute`` step was interrupted and re-dispatched (default: ignored)."""

    def handle_schedule_interrupt_event(self, event: ScheduleInterruptEvent) -> None:
        """An ``Engine.schedule`` step was interrupted and re-dispatched (default: ignored)."""

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
