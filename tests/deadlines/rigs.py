"""Two ways to run node timeouts and timer events under test, with one interface (:class:`Rig`).

* :class:`MemoryRig`: the in-memory path. ``InMemoryRuntime`` (through the contract suite's harness), the
  in-memory pool and ledger, the apps' rules (``StateWatcher`` on the runtime's state listeners, the
  ``fire_*`` functions) and scanners whose dispatch fires in the test's thread. No Django model is read
  or written.
* :class:`DjangoRig`: the Django runtime on SQLite (``DjangoHarness``), the apps as installed: their
  ``post_set_state`` receivers, the database pool and ledger, the scanners of ``scanning`` and the Celery
  tasks, run eagerly.

The deadline clock is the rig's (:meth:`Rig.advance`): nothing waits for real time.
"""

import abc
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

import pytest
from celery import current_app

from pipeline.contrib.deadlines.ledger import MemoryFiringLedger
from pipeline.contrib.deadlines.pool import Claim, DeadlinePool, MemoryDeadlinePool
from pipeline.contrib.deadlines.rules import StateWatcher
from pipeline.contrib.deadlines.scanner import Scanner
from pipeline.contrib.node_timeout import api as timeout_api
from pipeline.contrib.node_timeout.firing import fire_timeout, parse_timeout_member, timeout_deadlines
from pipeline.contrib.node_timeout.handlers import node_timeout_handler
from pipeline.contrib.node_timeout.models import TimeoutFiring, TimeoutNodeConfig
from pipeline.contrib.node_timer_event import api as timer_api
from pipeline.contrib.node_timer_event.adapter import NodeTimerEventAdapter
from pipeline.contrib.node_timer_event.firing import fire_timer_event
from pipeline.contrib.node_timer_event.models import NodeTimerEventConfig, TimerEventFiring
from tests.contract.harness import InMemoryHarness
from tests.contract.services import register_all

#: Claim lease of the rigs' scanners (rig seconds).
LEASE = 10.0
TIMEOUT, TIMER = "timeout", "timer"


class Rig(abc.ABC):
    """A runtime with both apps wired, a deadline clock, and scanners."""

    name = "abstract"

    def __init__(self, harness: Any) -> None:
        self.harness = harness
        self.runtime = harness.runtime
        self.now = time.time()

    def clock(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the deadline clock (the engine's own clock is left alone)."""
        self.now += seconds

    def configure(self, tree: dict, timeouts: Optional[dict] = None, timers: Optional[dict] = None) -> None:
        """Apply and store node timeouts / timer events of ``tree``, as a project does before running it."""
        if timeouts:
            timeout_api.apply_node_timout_configs(tree, timeouts)
            self.store_timeouts(tree)
        if timers:
            assert timer_api.apply_node_timer_event_configs(tree, timers).result
            self.store_timers(tree)

    def scan(self) -> int:
        """One pass of each app's scanner, then let the runtime do what the actions caused."""
        dispatched = sum(self.scanner(app).run_pass().dispatched for app in (TIMEOUT, TIMER))
        self.harness.run_until_idle()
        return dispatched

    def scanner(self, app: str, dispatch: Optional[Callable] = None, batch_size: int = 500) -> Scanner:
        """A new scanner of ``app``'s pool (``dispatch`` replaces the app's, e.g. to die mid-pass)."""
        return Scanner(
            self.pool(app),
            dispatch or self.dispatcher(app),
            batch_size=batch_size,
            lease=LEASE,
            clock=self.clock,
        )

    @abc.abstractmethod
    def store_timeouts(self, tree: dict) -> None: ...

    @abc.abstractmethod
    def store_timers(self, tree: dict) -> None: ...

    @abc.abstractmethod
    def pool(self, app: str) -> DeadlinePool: ...

    @abc.abstractmethod
    def dispatcher(self, app: str) -> Callable[[Sequence[Claim]], None]:
        """What the app's scanner does with a batch of claims (here: fire them in this thread)."""

    @abc.abstractmethod
    def fired(self, app: str) -> int:
        """How many firings acted (the app's ledger)."""

    def close(self) -> None:
        self.harness.close()


class MemoryRig(Rig):
    name = "memory"

    def __init__(self, request: Any) -> None:
        harness = InMemoryHarness()
        register_all(harness)
        super().__init__(harness)
        self.pools = {TIMEOUT: MemoryDeadlinePool(), TIMER: MemoryDeadlinePool()}
        self.ledgers = {TIMEOUT: MemoryFiringLedger(), TIMER: MemoryFiringLedger()}
        self.timeout_configs: Dict[str, Dict[str, Any]] = {}
        self.timer_configs: Dict[str, Dict[str, List[dict]]] = {}
        self.watchers = [
            StateWatcher(
                pool=lambda: self.pools[TIMEOUT],
                node_config=lambda node_id, version, root_id: self.timeout_configs.get(root_id, {}).get(
                    node_id
                ),
                root_nodes=lambda root_id: self.timeout_configs.get(root_id, {}).keys(),
                deadlines=timeout_deadlines,
                clock=self.clock,
            ),
            StateWatcher(
                pool=lambda: self.pools[TIMER],
                node_config=self.adapter,
                root_nodes=lambda root_id: self.timer_configs.get(root_id, {}).keys(),
                deadlines=lambda node_id, version, adapter, now: adapter.deadlines(now),
                clock=self.clock,
            ),
        ]
        self.runtime.state_listeners = [self.on_state]

    def on_state(self, state: Any) -> None:
        for watcher in self.watchers:
            watcher.on_state_change(state.node_id, state.name, state.version, state.root_id)

    def store_timeouts(self, tree: dict) -> None:
        parsed = TimeoutNodeConfig.objects.parse_node_timeout_configs(tree)["data"]
        self.timeout_configs[tree["id"]] = {c["node_id"]: (c["action"], c["timeout"]) for c in parsed}

    def store_timers(self, tree: dict) -> None:
        parsed = NodeTimerEventConfig.objects.parse_node_timer_event_configs(tree)["data"]
        self.timer_configs[tree["id"]] = {c["node_id"]: c["events"] for c in parsed}

    def adapter(self, node_id: str, version: str, root_id: Optional[str]) -> Any:
        for root, nodes in self.timer_configs.items():
            if node_id in nodes and root_id in (root, None):
                return NodeTimerEventAdapter.from_events(node_id, version, root, nodes[node_id])
        return None

    def pool(self, app: str) -> DeadlinePool:
        return self.pools[app]

    def dispatcher(self, app: str) -> Callable[[Sequence[Claim]], None]:
        return self.fire_timeouts if app == TIMEOUT else self.fire_timers

    def fire_timeouts(self, claims: Sequence[Claim]) -> None:
        for claim in claims:
            node_id, version = parse_timeout_member(claim.member)
            config = next(
                (nodes[node_id] for nodes in self.timeout_configs.values() if node_id in nodes), None
            )
            fire_timeout(
                self.runtime, self.ledgers[TIMEOUT], node_timeout_handler, node_id, version, claim.due, config
            )

    def fire_timers(self, claims: Sequence[Claim]) -> None:
        for claim in claims:
            key = NodeTimerEventAdapter.parse_event_key(claim.member)
            adapter = self.adapter(str(key["node_id"]), str(key["version"]), None)
            fire_timer_event(
                self.runtime,
                self.ledgers[TIMER],
                self.pools[TIMER],
                adapter,
                int(key["index"]),
                claim.due,
                self.clock,
            )

    def fired(self, app: str) -> int:
        return len(self.ledgers[app])


class DjangoRig(Rig):
    name = "django-sqlite"

    def __init__(self, request: Any) -> None:
        from pipeline.contrib.node_timeout import wiring as timeout_wiring
        from pipeline.contrib.node_timer_event import wiring as timer_wiring
        from tests.django.harness import DjangoHarness

        monkeypatch = request.getfixturevalue("monkeypatch")
        harness = DjangoHarness(monkeypatch)
        register_all(harness)
        super().__init__(harness)
        monkeypatch.setattr(timeout_wiring.watcher, "clock", self.clock)
        monkeypatch.setattr(timer_wiring.watcher, "clock", self.clock)
        self._eager = current_app.conf.task_always_eager
        current_app.conf.task_always_eager = True

    def store_timeouts(self, tree: dict) -> None:
        assert timeout_api.batch_create_node_timeout_config(tree["id"], tree)["result"]

    def store_timers(self, tree: dict) -> None:
        assert timer_api.batch_create_node_timer_event_config(tree["id"], tree).result

    def pool(self, app: str) -> DeadlinePool:
        from pipeline.contrib.node_timeout.wiring import timeout_pool
        from pipeline.contrib.node_timer_event.wiring import timer_pool

        return timeout_pool() if app == TIMEOUT else timer_pool()

    def dispatcher(self, app: str) -> Callable[[Sequence[Claim]], None]:
        from pipeline.contrib.node_timeout import scanning as timeout_scanning
        from pipeline.contrib.node_timer_event import scanning as timer_scanning

        return (timeout_scanning if app == TIMEOUT else timer_scanning).dispatch_claims

    def fired(self, app: str) -> int:
        return (TimeoutFiring if app == TIMEOUT else TimerEventFiring).objects.count()

    def close(self) -> None:
        current_app.conf.task_always_eager = self._eager
        super().close()


RIGS = {MemoryRig.name: MemoryRig, DjangoRig.name: DjangoRig}
#: The Django rig needs pytest-django's test database (flushed after each test).
RIG_MARKS = {DjangoRig.name: pytest.mark.django_db(transaction=True)}
