"""Test conveniences of the in-memory runtime: driving the dispatcher, waiting, fault injection."""

import threading
import time
from typing import Callable, Dict, Iterable, List, Optional, Type, Union

from bamboo_engine.eri.models.runtime import State
from bamboo_engine.testing.dispatcher import Dispatcher, Task
from bamboo_engine.testing.imp.interrupt import InMemoryInterruptError
from bamboo_engine.testing.store import Store


class InjectedInterrupt:
    """Handle returned by :meth:`TestingHelpersMixin.inject_interrupt`.

    Attributes:
        method: name of the wrapped runtime method.
        calls: calls seen so far; raised: interruptions raised so far.
    """

    def __init__(self, method: str, times: int, skip: int):
        self.method = method
        self.times = times
        self.skip = skip
        self.calls = 0
        self.raised = 0
        self._lock = threading.Lock()

    def should_raise(self) -> bool:
        with self._lock:
            self.calls += 1
            if self.calls > self.skip and self.raised < self.times:
                self.raised += 1
                return True
            return False


class TestingHelpersMixin:
    __test__ = False  # not a pytest test class despite the name

    _store: Store
    _dispatcher: Dispatcher
    raise_task_errors: bool
    _errors_seen: int

    get_state_or_none: Callable[[str], Optional[State]]

    @property
    def task_log(self) -> List[Task]:
        """Every dispatched task, in dispatch order (``task.kind``, ``task.kwargs``, ``task.due``)."""
        return list(self._dispatcher.task_log)

    @property
    def task_errors(self) -> List[BaseException]:
        """Exceptions raised by task bodies (a Celery worker would log them)."""
        return list(self._dispatcher.errors)

    def pending_tasks(self) -> List[Task]:
        """Dispatched tasks that have not run yet (due or delayed)."""
        return self._dispatcher.pending()

    def run_until_idle(self, timeout: float = 30.0, auto_advance: bool = True) -> None:
        """Run dispatched tasks until nothing is runnable.

        Args:
            timeout: real seconds before ``TimeoutError``.
            auto_advance: when only delayed tasks remain, jump the clock to the earliest due time.

        Raises:
            Exception: the first error a task raised since the last call (``raise_task_errors=True``).
        """
        self._dispatcher.run_until_idle(timeout=timeout, auto_advance=auto_advance)
        self._raise_task_errors()

    def _raise_task_errors(self) -> None:
        errors = self._dispatcher.errors
        if self.raise_task_errors and len(errors) > self._errors_seen:
            self._errors_seen = len(errors)
            raise errors[self._errors_seen - 1]

    def states(self, root_id: Optional[str] = None) -> Dict[str, str]:
        """``{node_id: state name}`` of every state (or of one root pipeline) for quick asserts."""
        with self._store.lock:
            return {
                node_id: record.name
                for node_id, record in self._store.states.items()
                if root_id is None or record.root_id == root_id or node_id == root_id
            }

    def wait_for_state(self, node_id: str, state: Union[str, Iterable[str]], timeout: float = 10.0) -> State:
        """Drive (sync) or wait for (threads) the run until ``node_id`` is in ``state``.

        Raises:
            TimeoutError: the state was not reached in ``timeout`` real seconds, or (sync) no task is
                left that could change it; the message lists the current states.
        """
        wanted = {state} if isinstance(state, str) else set(state)
        deadline = time.monotonic() + timeout
        while True:
            current = self.get_state_or_none(node_id)
            if current is not None and current.name in wanted:
                return current
            self._raise_task_errors()
            if time.monotonic() > deadline:
                raise TimeoutError(
                    self._wait_failure(node_id, wanted, current, f"not reached within {timeout}s")
                )
            if self._dispatcher.executor == "sync":
                if not self._dispatcher.step(auto_advance=True):
                    raise TimeoutError(self._wait_failure(node_id, wanted, current, "no task left to run"))
            elif self._dispatcher.idle() and not self._dispatcher.advance_to_next_due():
                # Workers went idle with nothing delayed: re-read once (a task may have just finished).
                current = self.get_state_or_none(node_id)
                if current is not None and current.name in wanted:
                    return current
                raise TimeoutError(self._wait_failure(node_id, wanted, current, "no task left to run"))
            else:
                self._dispatcher.wait_a_little()

    def _wait_failure(self, node_id: str, wanted: set, current: Optional[State], why: str) -> str:
        name = current.name if current is not None else "no state"
        return (
            f"node {node_id} is {name}, expected {sorted(wanted)}: {why}; current states: {self.states()}; "
            f"pending tasks: {[(t.kind, t.kwargs.get('node_id')) for t in self.pending_tasks()]}"
        )

    def inject_interrupt(
        self,
        method: str,
        times: int = 1,
        skip: int = 0,
        after: bool = False,
        when: Optional[Callable[..., bool]] = None,
    ) -> InjectedInterrupt:
        """Make runtime method ``method`` raise :class:`InMemoryInterruptError` like a DB error would.

        Args:
            method: runtime method name, e.g. ``"set_state"`` or ``"set_execution_data"``.
            times: how many calls raise.
            skip: how many calls pass before the first one raises.
            after: raise once the call has taken effect (its write went through, then the connection
                was lost) instead of before it.
            when: called with the call's arguments; calls for which it returns False are neither
                counted nor interrupted (e.g. ``lambda **kw: kw.get("to_state") == "FINISHED"``).
        """
        original = getattr(self, method)
        handle = InjectedInterrupt(method, times, skip)

        def interrupted(*args, **kwargs):
            if when is not None and not when(*args, **kwargs):
                return original(*args, **kwargs)
            if not after and handle.should_raise():
                raise InMemoryInterruptError(f"injected interruption of {method} (call {handle.calls})")
            result = original(*args, **kwargs)
            if after and handle.should_raise():
                raise InMemoryInterruptError(f"injected interruption after {method} (call {handle.calls})")
            return result

        setattr(self, method, interrupted)
        return handle

    def inject_fault(
        self,
        method: str,
        error: Type[Exception] = RuntimeError,
        times: int = 1,
        skip: int = 0,
        when: Optional[Callable[..., bool]] = None,
    ) -> InjectedInterrupt:
        """Make runtime method ``method`` raise ``error``: a failure that is *not* an interrupt.

        The engine does not retry such an error: it fails the node the step was working on (see
        ``bamboo_engine.engine.failsafe``). ``handle.calls`` counts the calls ``when`` selected.

        Args:
            error: the exception class, built with a message naming the method and the call.
            times: how many selected calls raise.
            skip: how many selected calls pass before the first one raises.
            when: called with the method's arguments; only calls it returns True for count (default:
                every call), e.g. ``lambda node_id, *_: node_id == act.id``.
        """
        original = getattr(self, method)
        handle = InjectedInterrupt(method, times, skip)

        def faulty(*args, **kwargs):
            if (when is None or when(*args, **kwargs)) and handle.should_raise():
                raise error(f"injected fault of {method} (call {handle.calls})")
            return original(*args, **kwargs)

        setattr(self, method, faulty)
        return handle

    def close(self) -> None:
        """Stop worker threads (threads executor)."""
        self._dispatcher.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
