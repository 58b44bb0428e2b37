"""TaskMixin: the local dispatcher as the transport of the shared message rules
(:mod:`bamboo_engine.eri.rules.task`), the engine's unit, and consuming messages."""

import contextlib
import functools
from typing import Any, Dict, Iterator

from bamboo_engine.engine.messages import run_execute_message, run_schedule_message
from bamboo_engine.eri.rules.task import EXECUTE, TaskRules
from bamboo_engine.rollback.constants import ROLLBACK_MESSAGE
from bamboo_engine.testing.dispatcher import Task
from bamboo_engine.testing.imp.base import StoreBacked


class TaskMixin(StoreBacked, TaskRules):
    ATOMIC_STEP = True
    DELAYED_EXECUTE = True  # TaskRules.execute_later over this transport

    @contextlib.contextmanager
    def atomic_step(self) -> Iterator[None]:
        """The engine's unit (``bamboo_engine.eri.interfaces.capabilities``): a store transaction.

        Holds the store lock, so no other thread sees the unit half done; if the block raises, its record
        writes are undone, the execution data and context values it wrote are restored (writers replace
        those records whole), and the messages it sent are dropped. Messages leave once the block is over,
        as the Django runtime publishes them on commit.
        """
        store = self._store
        with store.transaction():
            saved = store.snapshot_results()
            try:
                yield
            except BaseException:
                store.restore_results(saved)
                raise

    def _send_message(
        self, kind: str, kwargs: Dict[str, Any], queue: str, priority: int, countdown: float
    ) -> None:
        self._store.on_commit(functools.partial(self._dispatcher.submit, kind, kwargs, delay=countdown))

    # -- the consumer (what a Celery task body does) ---------------------------------------------

    def consume(self, task: Task) -> None:
        """Run one dispatched message (what a Celery task body does): an engine step or a rollback."""
        if task.kind == EXECUTE:
            run_execute_message(self, **task.kwargs)
        elif task.kind == ROLLBACK_MESSAGE:
            self.run_rollback_message(**task.kwargs)  # type: ignore[attr-defined]
        else:
            run_schedule_message(self, **task.kwargs)
