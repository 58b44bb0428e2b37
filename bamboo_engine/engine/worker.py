"""The worker entry points of the Engine: ``execute``, ``schedule`` and ``hook_dispatch``.

A runtime's task consumer decodes a message, builds an interrupter and calls :meth:`WorkerMixin.execute`
or :meth:`WorkerMixin.schedule`. The algorithms live in :mod:`bamboo_engine.engine.execute_loop` and
:mod:`bamboo_engine.engine.schedule_flow`; this module adds what every message needs: metrics,
swallowing :class:`InterruptException` (the interrupter already re-dispatched the message), failing the
node of a step that raised anything else (:mod:`bamboo_engine.engine.failsafe`) and clearing the
thread-local current node. (The runtime's ``pre_``/``post_execute`` and ``pre_``/``post_schedule`` hooks
belong to the service calls: see :mod:`bamboo_engine.handlers._service_common`.)
"""

import functools
import logging
from typing import TYPE_CHECKING, Any, Callable, Optional

from bamboo_engine import handlers as _builtin_handlers  # noqa: F401 - registers the built-in handlers
from bamboo_engine import local
from bamboo_engine.engine.execute_loop import ExecuteStep
from bamboo_engine.engine.failsafe import failsafe
from bamboo_engine.engine.hooks import dispatch_node_hook
from bamboo_engine.engine.schedule_flow import ScheduleStep
from bamboo_engine.eri.interfaces import Service
from bamboo_engine.eri.models.event import HookType
from bamboo_engine.eri.models.node import Node
from bamboo_engine.eri.models.runtime import CallbackData
from bamboo_engine.interrupt import ExecuteInterrupter, InterruptException, ScheduleInterrupter
from bamboo_engine.metrics import (
    ENGINE_PROCESS_RUNNING_TIME,
    ENGINE_RUNNING_PROCESSES,
    ENGINE_RUNNING_SCHEDULES,
    ENGINE_SCHEDULE_RUNNING_TIME,
    setup_gauge,
    setup_histogram,
)

if TYPE_CHECKING:
    from bamboo_engine.eri.interfaces import EngineRuntimeInterface

logger = logging.getLogger("bamboo_engine")


def interrupt_exception_catcher(func: Callable) -> Callable:
    """Decorator of worker entry points: swallow InterruptException, always clear the current node."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InterruptException as err:
            logger.info("%s", err)
            return None
        finally:
            local.clear_node_info()

    return wrapper


class WorkerMixin:
    """The message-driven half of the Engine.

    Attributes:
        INLINE_FIRST_POLL: run a POLL schedule whose first poll is due at once (``schedule_after <= 0``)
            in the execute worker instead of sending a schedule message (saves a broker round trip per
            such activity; later polls always go through messages so a never-finishing poll cannot pin a
            worker).
    """

    if TYPE_CHECKING:
        runtime: EngineRuntimeInterface

    CALLBACK_LOCK_RETRY_HEADER = "callback_lock_retry_times"
    CALLBACK_LOCK_RETRY_LIMIT = 3
    CALLBACK_LOCK_RETRY_DELAY_RANGES = ((1, 3), (3, 6), (6, 10))
    INLINE_FIRST_POLL = True

    @interrupt_exception_catcher
    @setup_gauge(ENGINE_RUNNING_PROCESSES)
    @setup_histogram(ENGINE_PROCESS_RUNNING_TIME)
    def execute(
        self,
        process_id: int,
        node_id: str,
        root_pipeline_id: str,
        parent_pipeline_id: str,
        interrupter: ExecuteInterrupter,
        headers: dict,
    ):
        """Push process ``process_id`` from ``node_id`` until it sleeps, suspends, dies or forks."""
        step = ExecuteStep(self, process_id, node_id, root_pipeline_id, interrupter, headers)
        with failsafe(self, step):
            step.run()

    @interrupt_exception_catcher
    @setup_gauge(ENGINE_RUNNING_SCHEDULES)
    @setup_histogram(ENGINE_SCHEDULE_RUNNING_TIME)
    def schedule(
        self,
        process_id: int,
        node_id: str,
        schedule_id: str,
        interrupter: ScheduleInterrupter,
        headers: dict,
        callback_data_id: Optional[int] = None,
    ):
        """Run one schedule of ``node_id``; dispatch execute at the next node once it finished."""
        step = ScheduleStep(self, process_id, node_id, schedule_id, interrupter, headers, callback_data_id)
        with failsafe(self, step):
            with interrupter.guard():
                process_info = self.runtime.get_process_info(process_id)
            step.run(process_info)

    def hook_dispatch(
        self,
        top_pipeline_id: str,
        root_pipeline_id: str,
        node_id: str,
        hook: HookType,
        node: Optional[Node] = None,
        service: Optional[Service] = None,
        callback_data: Optional[CallbackData] = None,
        *args,
        **kwargs,
    ):
        """Run ``hook`` on the node's service if it is an activity whose service wants hooks.

        Persists the execution data changes for NODE_ENTER, NODE_FINISH and the fail/exception hooks;
        never raises.
        """
        dispatch_node_hook(
            self.runtime, root_pipeline_id, node_id, hook, node, service, callback_data, top_pipeline_id
        )
