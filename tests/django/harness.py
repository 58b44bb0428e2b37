"""A synchronous harness for ``BambooDjangoRuntime``: messages are captured instead of going to a broker
and run in the test's thread through the real Celery task bodies (``pipeline.eri.celery.tasks``).

Plugins are registered through the runtime's lookup seams (``pipeline.eri.imp.plugin.component_class``
and friends) until the component framework provides the registries.
"""

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Deque, Dict, List, Optional, Tuple

import pytest
from django.db import connections

from bamboo_engine.validator.api import add_sink_type
from pipeline.eri.celery import tasks
from pipeline.eri.celery.queues import EXECUTE_TASK_NAME
from pipeline.eri.imp import plugin
from pipeline.eri.imp import task as task_module
from pipeline.eri.runtime import BambooDjangoRuntime
from pipeline.exceptions import ComponentNotExistException
from tests.contract.harness import DEFAULT_TIMEOUT, Harness


@dataclass
class Message:
    """One captured message: task name, keyword arguments and send options."""

    task_name: str
    kwargs: Dict[str, Any]
    options: Dict[str, Any] = field(default_factory=dict)
    due: float = 0.0


class Broker:
    """Collects published messages; ``run_next`` delivers them in order of due time."""

    def __init__(self) -> None:
        self.ready: Deque[Message] = deque()
        self.delayed: List[Message] = []
        self.sent: List[Message] = []
        self.clock = 0.0

    def publish(self, task_name: str, kwargs: Dict[str, Any], options: Dict[str, Any]) -> None:
        countdown = options.get("countdown") or 0
        message = Message(task_name, kwargs, dict(options), self.clock + countdown)
        self.sent.append(message)
        (self.delayed if countdown else self.ready).append(message)

    def pop(self, auto_advance: bool = True) -> Optional[Message]:
        if not self.ready and self.delayed and auto_advance:
            self.clock = max(self.clock, min(m.due for m in self.delayed))
        due = [m for m in self.delayed if m.due <= self.clock]
        for message in due:
            self.delayed.remove(message)
            self.ready.append(message)
        return self.ready.popleft() if self.ready else None

    @staticmethod
    def deliver(message: Message) -> None:
        """Run the task body of ``message`` (as a worker would)."""
        task = tasks.execute if message.task_name == EXECUTE_TASK_NAME else tasks.schedule
        task(**message.kwargs)


class PluginRegistry:
    """Stand-in registries behind the runtime's plugin lookup seams."""

    def __init__(self) -> None:
        self.services: Dict[Tuple[str, str], type] = {}
        self.end_events: Dict[str, type] = {}
        self.variables: Dict[str, type] = {}

    def component_class(self, code: str, version: str) -> Any:
        service_cls = self.services.get((code, version or "legacy"))
        if service_cls is None:
            raise ComponentNotExistException(f"component {code}/{version} is not registered")
        return type(f"{code}_component", (), {"code": code, "version": version, "bound_service": service_cls})

    def install(self, monkeypatch: Any) -> None:
        monkeypatch.setattr(plugin, "component_class", self.component_class)
        monkeypatch.setattr(plugin, "end_event_class", self.end_events.get)
        monkeypatch.setattr(plugin, "variable_class", self.variables.get)


class DjangoHarness(Harness):
    """Contract-suite harness over the Django runtime with captured, synchronously pumped messages."""

    name = "django-sqlite"

    def __init__(self, monkeypatch: Any = None) -> None:
        """``monkeypatch``: pytest's fixture; without one the harness patches and restores by itself
        (:meth:`close`). The database must be usable (e.g. pytest-django's ``transactional_db``)."""
        super().__init__(BambooDjangoRuntime())
        self._own_patch = monkeypatch is None
        self._patch = pytest.MonkeyPatch() if monkeypatch is None else monkeypatch
        self.broker = Broker()
        self.plugins = PluginRegistry()
        self.plugins.install(self._patch)
        self._patch.setattr(task_module, "publish", self.broker.publish)

    def close(self) -> None:
        if self._own_patch:
            self._patch.undo()

    def register_service(self, code: str, cls: type, version: str = "legacy") -> None:
        self.plugins.services[(code, version)] = cls

    def register_end_event(self, code: str, cls: type) -> None:
        self.plugins.end_events[code] = cls
        add_sink_type(code)

    def register_variable(self, code: str, cls: type) -> None:
        self.plugins.variables[code] = cls

    def run_until_idle(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.broker.pop()
            if message is None:
                return
            self.broker.deliver(message)
        raise TimeoutError(f"runtime still busy after {timeout}s")

    def advance(self, seconds: float) -> None:
        self.broker.clock += seconds
        while (message := self.broker.pop(auto_advance=False)) is not None:
            self.broker.deliver(message)

    def run_with_workers(self, workers: int = 4, timeout: float = 300.0) -> None:
        """Deliver every message with ``workers`` threads at once (delays ignored) until all are idle.

        Each thread has its own database connection, like the greenlets/processes of a real worker.
        """
        lock = threading.Condition()
        busy = [0]
        errors: List[BaseException] = []
        deadline = time.monotonic() + timeout

        def next_message() -> Optional[Message]:
            with lock:
                while time.monotonic() < deadline:
                    if self.broker.delayed:
                        self.broker.ready.extend(self.broker.delayed)
                        self.broker.delayed.clear()
                    if self.broker.ready:
                        busy[0] += 1
                        return self.broker.ready.popleft()
                    if busy[0] == 0:
                        lock.notify_all()
                        return None
                    lock.wait(0.05)
            return None

        def work() -> None:
            try:
                while (message := next_message()) is not None:
                    try:
                        self.broker.deliver(message)
                    except BaseException as err:  # reported by the caller
                        errors.append(err)
                    finally:
                        with lock:
                            busy[0] -= 1
                            lock.notify_all()
            finally:
                connections.close_all()

        threads = [threading.Thread(target=work) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout)
        assert not errors, errors
        assert not any(t.is_alive() for t in threads), "workers still busy at the timeout"

    def _pump(self, deadline: float) -> bool:
        message = self.broker.pop()
        if message is None:
            return False
        self.broker.deliver(message)
        return True
