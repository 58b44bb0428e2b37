"""Local message dispatch for the in-memory runtime: a queue plus an optional thread pool.

The runtime's ``execute``/``schedule``/``set_next_schedule`` only *enqueue* a :class:`Task`, the way a
Celery runtime publishes a message. Tasks run when the test drives the dispatcher:

* ``sync`` executor: tasks run one at a time in the thread that calls :meth:`Dispatcher.run_until_idle`
  (or :meth:`Dispatcher.step`), in dispatch order, so tests can act between steps;
* ``threads`` executor: a pump thread hands due tasks to a ``ThreadPoolExecutor`` as soon as they are
  dispatched, which exercises the runtime's locking the way concurrent workers would.

Delayed tasks (POLL schedules, lock retries) become due when the clock reaches their due time.
"""

import datetime
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, List, Optional

EXECUTORS = ("sync", "threads")


@dataclass
class Task:
    """One dispatched message.

    Attributes:
        seq: dispatch order (unique).
        kind: ``"execute"``, ``"schedule"`` or ``"rollback"``.
        kwargs: the message's keyword arguments, as a Celery task would receive them.
        due: the clock time from which the task may run.
        error: the exception the task raised, if any.
    """

    seq: int
    kind: str
    kwargs: dict
    due: datetime.datetime
    error: Optional[BaseException] = field(default=None, repr=False)


class Dispatcher:
    """Queue of dispatched tasks driven by a clock.

    Args:
        clock: a clock with ``now()`` and ``advance(seconds)``.
        consumer: called with each task when it runs.
        executor: ``"sync"`` or ``"threads"``.
        max_workers: thread pool size for the ``threads`` executor.
    """

    def __init__(self, clock, consumer: Callable[[Task], None], executor: str = "sync", max_workers: int = 4):
        if executor not in EXECUTORS:
            raise ValueError(f"executor must be one of {EXECUTORS}, got {executor!r}")
        self.clock = clock
        self.executor = executor
        self.task_log: List[Task] = []
        self.errors: List[BaseException] = []
        self._consumer = consumer
        self._seq = itertools.count(1)
        self._pending: List[Task] = []
        self._running = 0
        self._cond = threading.Condition()
        self._pool: Optional[ThreadPoolExecutor] = None
        self._pump: Optional[threading.Thread] = None
        self._closed = False
        self._max_workers = max_workers

    # -- producing -------------------------------------------------------------------------------

    def submit(self, kind: str, kwargs: dict, delay: float = 0) -> Task:
        """Enqueue a task that becomes due ``delay`` seconds from now."""
        due = self.clock.now() + datetime.timedelta(seconds=max(delay or 0, 0))
        with self._cond:
            task = Task(seq=next(self._seq), kind=kind, kwargs=kwargs, due=due)
            self._pending.append(task)
            self.task_log.append(task)
            self._cond.notify_all()
        if self.executor == "threads":
            self._ensure_pump()
        return task

    def pending(self) -> List[Task]:
        """Tasks not started yet (due or delayed), in dispatch order."""
        with self._cond:
            return list(self._pending)

    # -- consuming (sync) ------------------------------------------------------------------------

    def _pop_due(self) -> Optional[Task]:
        now = self.clock.now()
        due = [t for t in self._pending if t.due <= now]
        if not due:
            return None
        task = min(due, key=lambda t: t.seq)
        self._pending.remove(task)
        return task

    def advance_to_next_due(self) -> bool:
        """Jump the clock to the earliest delayed task; False when nothing is delayed."""
        with self._cond:
            if not self._pending or self._running:
                return False
            earliest = min(t.due for t in self._pending)
        gap = (earliest - self.clock.now()).total_seconds()
        if gap > 0:
            self.clock.advance(gap)
        return True

    def step(self, auto_advance: bool = True) -> bool:
        """Run one due task in the calling thread (sync executor). Returns False when nothing ran."""
        with self._cond:
            task = self._pop_due()
        if task is None and auto_advance and self.advance_to_next_due():
            with self._cond:
                task = self._pop_due()
        if task is None:
            return False
        self._run(task)
        return True

    def _run(self, task: Task) -> None:
        try:
            self._consumer(task)
        except Exception as err:  # noqa: BLE001 - a worker logs and goes on; the test sees it via run_until_idle
            task.error = err
            with self._cond:
                self.errors.append(err)

    # -- consuming (threads) ---------------------------------------------------------------------

    def _ensure_pump(self) -> None:
        with self._cond:
            if self._pump is not None or self._closed:
                return
            self._pool = ThreadPoolExecutor(
                max_workers=self._max_workers, thread_name_prefix="inmemory-worker"
            )
            self._pump = threading.Thread(target=self._pump_loop, name="inmemory-pump", daemon=True)
            self._pump.start()

    def _pump_loop(self) -> None:
        while True:
            with self._cond:
                if self._closed:
                    return
                task = self._pop_due()
                if task is None:
                    self._cond.wait(timeout=0.01)
                    continue
                self._running += 1
            assert self._pool is not None
            self._pool.submit(self._run_threaded, task)

    def _run_threaded(self, task: Task) -> None:
        try:
            self._run(task)
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()

    def idle(self) -> bool:
        """No task is running and none is due (delayed tasks may remain)."""
        with self._cond:
            if self._running:
                return False
            now = self.clock.now()
            return not any(t.due <= now for t in self._pending)

    # -- driving ---------------------------------------------------------------------------------

    def run_until_idle(self, timeout: float = 30.0, auto_advance: bool = True) -> None:
        """Run tasks until none is runnable.

        Args:
            timeout: real seconds before giving up with ``TimeoutError``.
            auto_advance: when only delayed tasks remain, jump the clock to the earliest due time.
        """
        deadline = time.monotonic() + timeout
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"dispatcher still busy after {timeout}s; pending: {self.pending()}")
            if self.executor == "sync":
                if not self.step(auto_advance=auto_advance):
                    return
                continue
            if self.idle() and not (auto_advance and self.advance_to_next_due()):
                return
            with self._cond:
                self._cond.wait(timeout=0.01)

    def wait_a_little(self) -> None:
        """Let worker threads make progress (threads executor) without busy-looping."""
        with self._cond:
            self._cond.wait(timeout=0.01)

    def close(self) -> None:
        """Stop the pump thread and the pool (threads executor); pending tasks are dropped."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._pump is not None:
            self._pump.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
