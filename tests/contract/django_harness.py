"""Contract-suite harnesses for ``BambooDjangoRuntime``.

* ``django-sqlite``: Django on SQLite (``tests.django_settings``, the database of pytest-django's
  ``transactional_db``). Tasks run in an **in-process consumer**: the runtime's publisher
  (``pipeline.eri.imp.task.publish``) is replaced by a queue, and the harness delivers each message by
  calling the real Celery task (``pipeline.eri.celery.tasks.execute/schedule``) in the test's thread,
  in order of due time on a virtual clock. Like the synchronous in-memory harness it is deterministic:
  nothing runs between two pumps, and ``advance`` moves the clock.
* ``django-mariadb`` (marked ``integration``), or ``django-postgres`` when the integration session runs on
  PostgreSQL (``BAMBOO_IT_DB=postgres``, ``make integration-postgres``): Django on the session's database
  (``tests.integration.env``); tasks run in a real ``celery -A playground worker -P gevent`` process on
  the queue ``ct``, which imports the suite's plugins (``BAMBOO_CONTRACT_PLUGINS=1``). Waiting polls the
  database; ``run_until_idle`` waits until the worker has no task running, reserved or scheduled and
  the queues are empty.

Django can be configured once per process, so the two never run in the same pytest process. Unless
``BAMBOO_INTEGRATION=1`` (the integration run: ``make integration``), importing this module sets Django
up with ``tests.django_settings`` — at collection time, so pytest-django sees a configured Django
when the session starts and prepares the SQLite test database for the ``django-sqlite`` tests.

Plugins are registered in the component framework's registries (``ComponentLibrary``,
``FlowNodeClsFactory``, ``VariableLibrary``) — the lookups the runtime uses in production.
"""

import heapq
import itertools
import os
import time
from typing import Any, Callable, Dict, List, Tuple

import pytest

from tests.contract.harness import DEFAULT_TIMEOUT, Harness
from tests.contract.interrupts import (
    INJECTABLE_METHODS,
    InterruptHandle,
    InterruptPlan,
    patch_method,
    remove_plans,
    write_plan,
)

CONTRACT_QUEUE = "ct"
#: The run queues of the rollback workers (rollback on), by PIPELINE_ENABLE_AUTO_EXECUTE_WHEN_ROLL_BACKED;
#: each consumes ``rollback_<queue>`` too (tests.integration.env declares them).
ROLLBACK_QUEUES = {True: "rb", False: "rbm"}
SQLITE_SETTINGS = "tests.django_settings"
INTEGRATION_ENV = "BAMBOO_INTEGRATION"
Setter = Callable[[Dict[str, Any], str, Any], None]


def _setup_sqlite_django() -> None:
    from django.conf import settings

    if not settings.configured:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", SQLITE_SETTINGS)
        import django

        django.setup()


if os.environ.get(INTEGRATION_ENV) != "1":
    _setup_sqlite_django()


def _plain_set(mapping: Dict[str, Any], key: str, value: Any) -> None:
    mapping[key] = value


def register_service(code: str, cls: type, version: str = "legacy", setitem: Setter = _plain_set) -> None:
    """Publish a plugin-style service under ``(code, version)`` like a ``Component`` would."""
    from pipeline.component_framework.library import ComponentLibrary

    component = type(
        f"Contract_{code}_{version}", (), {"code": code, "version": version, "bound_service": cls}
    )
    versions = dict(ComponentLibrary.components.get(code, {}))
    versions[version] = component
    setitem(ComponentLibrary.components, code, versions)


def register_end_event(code: str, cls: type, setitem: Setter = _plain_set) -> None:
    from bamboo_engine.validator.api import add_sink_type
    from pipeline.core.flow import FlowNodeClsFactory

    setitem(FlowNodeClsFactory.nodes_cls, code, cls)
    add_sink_type(code)


def register_variable(code: str, cls: type, setitem: Setter = _plain_set) -> None:
    from pipeline.core.data.library import VariableLibrary

    setitem(VariableLibrary.variables, code, cls)


def register_contract_plugins() -> None:
    """Register every plugin of ``tests.contract.services`` for good, and arm the suite's runtime fault
    (used by the contract worker)."""
    from pipeline.eri.runtime import BambooDjangoRuntime
    from tests.contract.faults import install_on_class
    from tests.contract.services import END_EVENTS, SERVICES, VARIABLES, VERSIONED_SERVICES

    install_on_class(BambooDjangoRuntime)

    for code, cls in SERVICES.items():
        register_service(code, cls)
    for code, version, cls in VERSIONED_SERVICES:
        register_service(code, cls, version)
    for code, cls in END_EVENTS.items():
        register_end_event(code, cls)
    for code, cls in VARIABLES.items():
        register_variable(code, cls)


class _RegistryHarness(Harness):
    """Registration through the component framework; undone at teardown by ``monkeypatch``."""

    def __init__(self, runtime: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        super().__init__(runtime)
        self.monkeypatch = monkeypatch
        self._overrides: List[Any] = []

    @property
    def rollback_refusal(self) -> type:  # type: ignore[override]
        from pipeline.contrib.exceptions import RollBackException

        return RollBackException

    def rollback_api(self, name: str, *args: Any, **kwargs: Any) -> Any:
        from pipeline.contrib.rollback import api as rollback_api

        return getattr(rollback_api, name)(*args, **kwargs)

    def override_settings(self, **values: Any) -> None:
        """Django settings of the test process until :meth:`close`."""
        from django.test import override_settings

        override = override_settings(**values)
        override.enable()
        self._overrides.append(override)

    def restore_settings(self) -> None:
        while self._overrides:
            self._overrides.pop().disable()

    def register_service(self, code: str, cls: type, version: str = "legacy") -> None:
        register_service(code, cls, version, self.monkeypatch.setitem)

    def register_end_event(self, code: str, cls: type) -> None:
        register_end_event(code, cls, self.monkeypatch.setitem)

    def register_variable(self, code: str, cls: type) -> None:
        register_variable(code, cls, self.monkeypatch.setitem)


# --------------------------------------------------------------------------------------- SQLite
class InProcessConsumer:
    """Captured messages, delivered by the real task bodies in order of due time on a virtual clock."""

    def __init__(self) -> None:
        self.clock = 0.0
        self._order = itertools.count()
        self._queue: List[Tuple[float, int, str, Dict[str, Any]]] = []

    def publish(self, task_name: str, kwargs: Dict[str, Any], options: Dict[str, Any]) -> None:
        due = self.clock + float(options.get("countdown") or 0)
        heapq.heappush(self._queue, (due, next(self._order), task_name, kwargs))

    def deliver_next(self, auto_advance: bool) -> bool:
        """Run the earliest message due now (or, with ``auto_advance``, the earliest one at all)."""
        if not self._queue or (self._queue[0][0] > self.clock and not auto_advance):
            return False
        due, _, task_name, kwargs = heapq.heappop(self._queue)
        self.clock = max(self.clock, due)
        from pipeline.contrib.rollback import tasks as rollback_tasks
        from pipeline.contrib.rollback.queues import ROLLBACK_TASK_NAME
        from pipeline.eri.celery import tasks
        from pipeline.eri.celery.queues import EXECUTE_TASK_NAME

        bodies = {EXECUTE_TASK_NAME: tasks.execute, ROLLBACK_TASK_NAME: rollback_tasks.token_rollback}
        bodies.get(task_name, tasks.schedule)(**kwargs)
        return True


def _clear_runtime_caches() -> None:
    # Process ids restart when tables are flushed between tests: cached routes and nodes would leak.
    from pipeline.eri.cache import runtime_cache

    runtime_cache.clear()


class DjangoSQLiteHarness(_RegistryHarness):
    """``BambooDjangoRuntime`` on SQLite with the in-process consumer."""

    name = "django-sqlite"

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from pipeline.eri.imp import task as task_module
        from pipeline.eri.runtime import BambooDjangoRuntime

        super().__init__(BambooDjangoRuntime(), monkeypatch)
        self.consumer = InProcessConsumer()
        monkeypatch.setattr(task_module, "publish", self.consumer.publish)
        _clear_runtime_caches()

    def install_faults(self) -> None:
        from pipeline.eri.runtime import BambooDjangoRuntime
        from tests.contract.faults import install_on_class

        install_on_class(BambooDjangoRuntime, self.monkeypatch.setattr)

    def run_until_idle(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while self.consumer.deliver_next(auto_advance=True):
            if time.monotonic() > deadline:
                raise TimeoutError(f"runtime still busy after {timeout}s")

    def advance(self, seconds: float) -> None:
        self.consumer.clock += seconds
        while self.consumer.deliver_next(auto_advance=False):
            pass

    def _pump(self, deadline: float) -> bool:
        return self.consumer.deliver_next(auto_advance=True)

    def enable_rollback(self, auto_continue: bool = True) -> None:
        from pipeline.contrib.rollback.queues import ROLLBACK_TASK_NAME
        from pipeline.eri.imp import rollback as rollback_module

        self.override_settings(
            PIPELINE_ENABLE_ROLLBACK=True, PIPELINE_ENABLE_AUTO_EXECUTE_WHEN_ROLL_BACKED=auto_continue
        )
        publish = self.consumer.publish
        self.monkeypatch.setattr(
            rollback_module, "publish", lambda kwargs: publish(ROLLBACK_TASK_NAME, kwargs, {})
        )

    def close(self) -> None:
        self.restore_settings()
        _clear_runtime_caches()

    def inject_interrupt(
        self, method: str, after: bool = False, times: int = 1, **match: Any
    ) -> InterruptHandle:
        from django.db import OperationalError

        from pipeline.eri.runtime import BambooDjangoRuntime

        # The task bodies build their own runtime: patch the class (undone at teardown).
        plan = InterruptPlan(method, match, after, times)
        count = patch_method(BambooDjangoRuntime, plan, OperationalError, self.monkeypatch.setattr)
        return InterruptHandle(count)


def django_sqlite_harness(request: pytest.FixtureRequest) -> Harness:
    # The parameter's django_db mark made pytest-django open the (flushed after each test) test database.
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("django-sqlite needs a pytest process where Django uses SQLite (make unit)")
    return DjangoSQLiteHarness(request.getfixturevalue("monkeypatch"))


# ----------------------------------------------------------------------------- MariaDB / PostgreSQL
#: The pytest id of the worker-backed harness: the integration session's database server.
SERVER_HARNESS = "django-postgres" if os.environ.get("BAMBOO_IT_DB") == "postgres" else "django-mariadb"


class DjangoServerHarness(_RegistryHarness):
    """``BambooDjangoRuntime`` on the session's MariaDB or PostgreSQL with a real gevent worker process
    (queue ``ct``)."""

    name = SERVER_HARNESS
    poll_interval = 0.05
    queue = CONTRACT_QUEUE
    #: Seconds the worker and queues must stay idle, twice in a row, to call the runtime idle.
    idle_gap = 0.2

    def __init__(self, worker: Any, monkeypatch: pytest.MonkeyPatch, session: Any) -> None:
        from pipeline.eri.runtime import BambooDjangoRuntime

        super().__init__(BambooDjangoRuntime(), monkeypatch)
        self.worker = worker
        self.session = session
        self.probe_dir = session.probe_dir
        self._plans: List[InterruptPlan] = []

    def inject_interrupt(
        self, method: str, after: bool = False, times: int = 1, **match: Any
    ) -> InterruptHandle:
        if method not in INJECTABLE_METHODS:
            raise ValueError(f"the contract worker can not interrupt {method} (see INJECTABLE_METHODS)")
        plan = InterruptPlan(method, match, after, times)
        self._plans.append(plan)
        return write_plan(self.probe_dir, plan)

    def close(self) -> None:
        remove_plans(self.probe_dir, self._plans)
        self.restore_settings()

    def enable_rollback(self, auto_continue: bool = True) -> None:
        """Run on a worker of its own with rollback on (the contract worker has it off)."""
        queue = ROLLBACK_QUEUES[auto_continue]
        worker_queues = [f"er_execute_{queue}", f"er_schedule_{queue}", f"rollback_{queue}"]
        env = {
            "BAMBOO_CELERY_IMPORTS": "tests.integration.worker_plugins",
            "BAMBOO_CONTRACT_PLUGINS": "1",
            "BAMBOO_ENABLE_ROLLBACK": "1",
            "BAMBOO_ROLLBACK_AUTO_CONTINUE": "1" if auto_continue else "0",
            "BAMBOO_ROLLBACK_QUEUE": f"rollback_{queue}",
        }
        self.worker = self.session.worker(f"contract-{queue}", "gevent", 20, worker_queues, env)
        self.queue = queue
        self.override_settings(
            PIPELINE_ENABLE_ROLLBACK=True,
            PIPELINE_ENABLE_AUTO_EXECUTE_WHEN_ROLL_BACKED=auto_continue,
            ROLLBACK_QUEUE=f"rollback_{queue}",
        )

    def install_faults(self) -> None:
        """Nothing to do here: the worker installed the fault when it started (worker_plugins)."""

    def advance(self, seconds: float) -> None:
        # Real workers run on real time: let it pass.
        time.sleep(seconds)

    def _pump(self, deadline: float) -> bool:
        time.sleep(self.poll_interval)
        return True

    def run_until_idle(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        quiet_checks = 0
        while quiet_checks < 2:
            if time.monotonic() > deadline:
                raise TimeoutError(f"worker {self.worker.nodename} still busy after {timeout}s")
            quiet_checks = quiet_checks + 1 if self._idle() else 0
            time.sleep(self.idle_gap)

    def _idle(self) -> bool:
        return self._queues_empty() and not self._worker_busy()

    def _worker_busy(self) -> bool:
        from celery import current_app

        node = self.worker.nodename
        inspect = current_app.control.inspect([node], timeout=5, limit=1)
        return any(
            (probe() or {}).get(node) for probe in (inspect.active, inspect.reserved, inspect.scheduled)
        )

    def _queues_empty(self) -> bool:
        from celery import current_app

        with current_app.connection_for_write() as connection:
            channel = connection.default_channel
            for queue in self.worker.queues:
                _, messages, _ = channel.queue_declare(queue=queue, passive=True)
                if messages:
                    return False
        return True


def django_server_harness(request: pytest.FixtureRequest) -> Harness:
    from tests.integration.env import DjangoConfiguredElsewhere, shared_session

    try:
        session = shared_session(request.config)
    except DjangoConfiguredElsewhere as err:
        pytest.skip(f"{SERVER_HARNESS}: {err}")
    queues = [f"er_execute_{CONTRACT_QUEUE}", f"er_schedule_{CONTRACT_QUEUE}"]
    worker = session.worker(
        "contract",
        "gevent",
        20,
        queues,
        {"BAMBOO_CELERY_IMPORTS": "tests.integration.worker_plugins", "BAMBOO_CONTRACT_PLUGINS": "1"},
    )
    return DjangoServerHarness(worker, request.getfixturevalue("monkeypatch"), session)


#: ``(pytest id, factory)`` appended to ``tests.contract.conftest.HARNESS_FACTORIES``.
DJANGO_HARNESS_FACTORIES: List[Tuple[str, Callable[[pytest.FixtureRequest], Harness]]] = [
    ("django-sqlite", django_sqlite_harness),
    (SERVER_HARNESS, django_server_harness),
]
#: Marks of those parameters: real services and workers only run with ``-m integration``.
DJANGO_HARNESS_MARKS: Dict[str, Any] = {
    "django-sqlite": pytest.mark.django_db(transaction=True),
    SERVER_HARNESS: pytest.mark.integration,
}
