"""Runtime harnesses for the ERI contract suite.

The contract tests only talk to a :class:`Harness`: it owns a runtime, registers the suite's plugins,
starts pipelines through ``bamboo_engine.api`` and waits for observable progress. Adding a runtime to the
suite means writing one ``Harness`` subclass and appending its factory to
``tests.contract.conftest.HARNESS_FACTORIES``.

Two kinds of runtimes are expected:

* synchronous ones (the in-memory runtime in ``sync`` mode): nothing runs until the harness pumps the
  task queue, so "idle" means "nothing will ever happen again";
* worker-backed ones (Django + Celery): work happens in other processes, so the harness polls the
  runtime until a condition holds or a timeout expires.

Tests must stay correct under both: they wait for positive conditions (a state reached, a process
suspended) and only assert absence (a node never got a state) after :meth:`Harness.run_until_idle`.
"""

import abc
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Union

from bamboo_engine import api
from bamboo_engine.eri import State
from tests.bpmn_support import assert_round_trip
from tests.contract.interrupts import InterruptHandle, InterruptPlan

StateNames = Union[str, Iterable[str]]

DEFAULT_TIMEOUT = 30.0


def _as_state_set(states: StateNames) -> frozenset:
    if isinstance(states, str):
        return frozenset([states])
    return frozenset(states)


class Harness(abc.ABC):
    """One runtime under test plus the operations the contract suite needs.

    Attributes:
        name: short id used in the pytest parameter id (``"memory"``, ``"django-sqlite"``...).
        runtime: the ``EngineRuntimeInterface`` implementation under test.
    """

    name = "abstract"
    #: Seconds between two polls of a worker-backed runtime.
    poll_interval = 0.05
    #: The queue the harness's workers consume (``run_pipeline``'s ``queue`` option).
    queue = ""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime

    # ------------------------------------------------------------------ plugins
    @abc.abstractmethod
    def register_service(self, code: str, cls: type, version: str = "legacy") -> None:
        """Make a plugin-style ``Service`` subclass available under ``(code, version)``."""

    @abc.abstractmethod
    def register_end_event(self, code: str, cls: type) -> None:
        """Make a plugin-style ``ExecutableEndEvent`` subclass usable as ``end_event.type = code``."""

    @abc.abstractmethod
    def register_variable(self, code: str, cls: type) -> None:
        """Make a plugin-style ``LazyVariable`` subclass usable as ``custom_type = code``."""

    # ------------------------------------------------------------------ progress
    @abc.abstractmethod
    def run_until_idle(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Let the runtime work until nothing is runnable (delayed work included).

        Worker-backed runtimes may only approximate this (e.g. wait until their queues are empty).
        """

    @abc.abstractmethod
    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of (possibly simulated) time pass and run whatever became due."""

    @abc.abstractmethod
    def _pump(self, deadline: float) -> bool:
        """Make some progress before ``deadline``.

        Returns:
            False when the runtime can prove nothing will change any more (synchronous runtimes
            that went idle), True otherwise.
        """

    def close(self) -> None:  # noqa: B027 - optional hook, most harnesses hold nothing to release
        """Release resources (database rows, worker processes...)."""

    def install_faults(self) -> None:
        """Arm the runtime fault of :mod:`tests.contract.faults` (nodes opt in through an input)."""
        raise NotImplementedError(f"{type(self).__name__} cannot inject runtime faults")

    def inject_interrupt(
        self, method: str, after: bool = False, times: int = 1, **match: Any
    ) -> "InterruptHandle":
        """Make the next ``times`` calls of runtime method ``method`` whose arguments equal ``match``
        fail with one of the runtime's interrupt errors (a lost database connection).

        Args:
            after: fail once the call took effect (its write went through) instead of before it.

        Returns:
            A handle whose ``raised`` tells how many calls failed so far.
        """
        raise NotImplementedError(f"{type(self).__name__} can not inject interrupts")

    # ------------------------------------------------------------------ waiting
    def wait_until(
        self, predicate: Callable[[], bool], timeout: float = DEFAULT_TIMEOUT, description: str = ""
    ) -> None:
        """Poll ``predicate`` while the runtime makes progress.

        Raises:
            TimeoutError: the predicate did not hold in time (or the runtime went idle without it).
        """
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline or not self._pump(deadline):
                if predicate():
                    return
                raise TimeoutError(f"condition not reached in {timeout}s: {description or predicate}")

    def wait_for_state(self, node_id: str, states: StateNames, timeout: float = DEFAULT_TIMEOUT) -> State:
        """Wait until the state of ``node_id`` is one of ``states`` and return it."""
        wanted = _as_state_set(states)
        seen: Dict[str, Optional[State]] = {"state": None}

        def reached() -> bool:
            seen["state"] = self.runtime.get_state_or_none(node_id)
            return seen["state"] is not None and seen["state"].name in wanted

        try:
            self.wait_until(reached, timeout, f"node {node_id} in {sorted(wanted)}")
        except TimeoutError as err:
            current = seen["state"].name if seen["state"] else None
            raise TimeoutError(f"{err}; current state: {current}") from err
        state = seen["state"]
        assert state is not None
        return state

    # ------------------------------------------------------------------ api shortcuts
    def run(self, tree: dict, **options: Any) -> api.EngineAPIResult:
        """``api.run_pipeline`` on this runtime (on the harness's queue); returns the api result.

        Every tree the suite runs first goes through the BPMN export and import and must come back equal
        (and the XML must validate against the BPMN 2.0 XSD), so the round trip covers every shape the
        contract suite knows.
        """
        assert_round_trip(tree)
        if self.queue:
            options.setdefault("queue", self.queue)
        return api.run_pipeline(self.runtime, tree, **options)

    def start(self, tree: dict, **options: Any) -> str:
        """Run ``tree`` and assert the api accepted it; returns the root pipeline id."""
        result = self.run(tree, **options)
        assert result.result, f"run_pipeline failed: {result.message} {result.exc_trace}"
        return tree["id"]

    def run_to_end(self, tree: dict, timeout: float = DEFAULT_TIMEOUT, **options: Any) -> str:
        """Run ``tree`` and wait until the root pipeline is FINISHED; returns its id."""
        root_id = self.start(tree, **options)
        self.wait_for_state(root_id, "FINISHED", timeout)
        return root_id

    def states(self, root_id: str, flat_children: bool = True) -> dict:
        """``api.get_pipeline_states(...).data``."""
        result = api.get_pipeline_states(self.runtime, root_id, flat_children=flat_children)
        assert result.result, result.exc_trace
        return result.data

    def state(self, node_id: str) -> Optional[State]:
        """The ERI state of ``node_id`` or None."""
        return self.runtime.get_state_or_none(node_id)

    def state_name(self, node_id: str) -> Optional[str]:
        state = self.state(node_id)
        return state.name if state else None

    def outputs(self, node_id: str) -> dict:
        result = api.get_execution_data_outputs(self.runtime, node_id)
        assert result.result, result.exc_trace
        return dict(result.data)

    def inputs(self, node_id: str) -> dict:
        result = api.get_execution_data_inputs(self.runtime, node_id)
        assert result.result, result.exc_trace
        return dict(result.data)

    def context(self, pipeline_id: str) -> Dict[str, Any]:
        """``{key: value}`` of the stored context values of a (sub)pipeline (values not resolved)."""
        return {cv.key: cv.value for cv in self.runtime.get_context(pipeline_id)}

    def suspended_processes(self, suspended_by: str) -> List[Any]:
        return list(self.runtime.get_suspended_process_info(suspended_by))

    def snapshot(self, node_id: str) -> Optional[tuple]:
        """The mutable fields of a state, to prove a rejected operation changed nothing."""
        state = self.state(node_id)
        if state is None:
            return None
        return (state.name, state.version, state.loop, state.retry, state.skip, state.error_ignored)

    # ------------------------------------------------------------------ rollback
    #: The exception class a refused rollback operation carries in ``result.exc``.
    rollback_refusal: type = Exception

    def enable_rollback(self, auto_continue: bool = True) -> None:
        """Turn ``PIPELINE_ENABLE_ROLLBACK`` on for this harness's runs (call before starting them).

        Args:
            auto_continue: ``PIPELINE_ENABLE_AUTO_EXECUTE_WHEN_ROLL_BACKED``.
        """
        raise NotImplementedError(f"{type(self).__name__} can not roll back")

    def rollback_api(self, name: str, *args: Any, **kwargs: Any) -> api.EngineAPIResult:
        """Call rollback operation ``name`` (``rollback``, ``reserve_rollback``, ...) as its api does."""
        raise NotImplementedError(f"{type(self).__name__} can not roll back")

    # ------------------------------------------------------------------ callbacks
    def wait_callback_ready(self, node_id: str, timeout: float = DEFAULT_TIMEOUT) -> str:
        """Wait until ``node_id`` is RUNNING, its process sleeps and its schedule exists.

        Returns:
            The state version to quote in ``api.callback``.
        """
        found: Dict[str, str] = {}

        def ready() -> bool:
            state = self.state(node_id)
            if state is None or state.name != "RUNNING":
                return False
            if self.runtime.get_sleep_process_info_with_current_node_id(node_id) is None:
                return False
            try:
                self.runtime.get_schedule_with_node_and_version(node_id, state.version)
            except Exception:  # the schedule row is created right after the process sleeps
                return False
            found["version"] = state.version
            return True

        self.wait_until(ready, timeout, f"node {node_id} waiting for a callback")
        return found["version"]

    def callback(self, node_id: str, data: dict, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Callback ``node_id`` with its current version once it can accept one; asserts success."""
        version = self.wait_callback_ready(node_id, timeout)
        result = api.callback(self.runtime, node_id, version, data)
        assert result.result, f"callback failed: {result.exc_trace}"


def assert_ok(result: api.EngineAPIResult) -> Any:
    """An api call succeeded; returns its data."""
    assert result.result is True, f"api call failed: {result.message} {result.exc_trace}"
    return result.data


def assert_rejected(result: api.EngineAPIResult, exc_type: type, text: Optional[str] = None) -> None:
    """An api call was refused: ``result=False`` with a typed exception (and message text)."""
    assert result.result is False, f"expected a rejection, got {result!r}"
    assert isinstance(result.exc, exc_type), f"expected {exc_type.__name__}, got {result.exc!r}"
    if text is not None:
        assert text in str(result.exc), f"{text!r} not in {str(result.exc)!r}"


class InMemoryHarness(Harness):
    """Harness over ``bamboo_engine.testing.InMemoryRuntime`` in synchronous mode.

    Nothing runs until the harness pumps, so tests can act between two steps deterministically and
    "idle" is a proof that nothing else will happen.
    """

    name = "memory"

    def __init__(self, **runtime_options: Any) -> None:
        from bamboo_engine.testing import InMemoryRuntime

        runtime_options.setdefault("executor", "sync")
        super().__init__(InMemoryRuntime(**runtime_options))

    def register_service(self, code: str, cls: type, version: str = "legacy") -> None:
        self.runtime.register_service(code, cls, version=version)

    def register_end_event(self, code: str, cls: type) -> None:
        from bamboo_engine.validator.api import add_sink_type

        # The Django side does both through FlowNodeClsFactory.register_node; here we do it by hand.
        self.runtime.register_executable_end_event(code, cls)
        add_sink_type(code)

    def register_variable(self, code: str, cls: type) -> None:
        self.runtime.register_compute_variable(code, cls)

    def install_faults(self) -> None:
        from tests.contract.faults import install_on_instance

        install_on_instance(self.runtime)

    @property
    def rollback_refusal(self) -> type:  # type: ignore[override]
        from bamboo_engine.exceptions import RollbackError

        return RollbackError

    def enable_rollback(self, auto_continue: bool = True) -> None:
        self.runtime.config_overrides["PIPELINE_ENABLE_ROLLBACK"] = True
        self.runtime.config_overrides["PIPELINE_ENABLE_AUTO_EXECUTE_WHEN_ROLL_BACKED"] = auto_continue

    def rollback_api(self, name: str, *args: Any, **kwargs: Any) -> api.EngineAPIResult:
        # The in-memory runtime has no api module of its own: the operations raise, results are made here.
        from bamboo_engine.exceptions import RollbackError
        from bamboo_engine.rollback import operations

        try:
            data = getattr(operations, name)(self.runtime, *args, **kwargs)
        except RollbackError as err:
            return api.EngineAPIResult(result=False, message="fail", exc=err)
        return api.EngineAPIResult(result=True, message="success", data=data)

    def run_until_idle(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.runtime.run_until_idle(timeout=timeout, auto_advance=True)

    def advance(self, seconds: float) -> None:
        self.runtime.clock.advance(seconds)
        self.runtime.run_until_idle(auto_advance=False)

    def close(self) -> None:
        self.runtime.close()

    def inject_interrupt(
        self, method: str, after: bool = False, times: int = 1, **match: Any
    ) -> InterruptHandle:
        plan = InterruptPlan(method, match, after, times)
        original = getattr(self.runtime, method)
        handle = self.runtime.inject_interrupt(
            method,
            times=times,
            after=after,
            when=lambda *args, **kwargs: plan.matches(original, args, kwargs),
        )
        return InterruptHandle(lambda: handle.raised)

    def _pump(self, deadline: float) -> bool:
        # One full drain is all a synchronous runtime can do: afterwards nothing changes any more.
        self.runtime.run_until_idle(timeout=max(deadline - time.monotonic(), 0.1), auto_advance=True)
        return False

    def wait_for_state(self, node_id: str, states: StateNames, timeout: float = DEFAULT_TIMEOUT) -> State:
        # The runtime's own wait stops as soon as the state is reached, leaving later tasks queued,
        # which lets tests act "between steps" (e.g. while a polling node is RUNNING).
        return self.runtime.wait_for_state(node_id, states, timeout=timeout)


class ThreadedInMemoryHarness(InMemoryHarness):
    """The in-memory runtime with a pool of worker threads.

    Work happens concurrently and out of the test's control, as with real Celery workers, so this
    harness runs the suite through the same polling paths a worker-backed harness uses (and catches
    tests that only pass because the synchronous runtime waits for them).
    """

    name = "memory-threads"
    poll_interval = 0.01

    def __init__(self) -> None:
        super().__init__(executor="threads", max_workers=4)

    def _pump(self, deadline: float) -> bool:
        time.sleep(self.poll_interval)
        return True

    # Poll like a worker-backed harness instead of using the runtime's own waiting helper.
    wait_for_state = Harness.wait_for_state
