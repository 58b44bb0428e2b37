"""Node timeouts and timer events end to end: MariaDB, RabbitMQ, Redis, a gevent Celery worker and the
scanners as their own processes (``manage.py start_node_timeout_process`` /
``start_node_timer_event_process``), SIGKILLed when a test says so.

The worker consumes the engine queues ``er_*_dl`` (pipelines run with ``queue="dl"``) and the apps'
task queue; it imports the ``it_probe`` timer action (tests/integration/deadline_actions.py), which
records each call in the session's probe directory. Deadlines live in Redis under the session's key
prefix (the database backend runs end to end on SQLite in tests/deadlines, and its claims race on
MariaDB in tests/integration/test_deadline_pools.py). Claim leases are 2 s, so a killed scanner's claims
come back quickly.
"""

import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from bamboo_engine import api
from bamboo_engine.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, Var, build_tree
from tests.integration.deadline_actions import ACTION_NAME, probe_lines
from tests.integration.env import REPO_ROOT, Worker, wait_until
from tests.integration.helpers import runtime, start, state_name, wait_for_states

pytestmark = pytest.mark.integration

LEASE = "2"
WAIT = 60.0


class Deadlines:
    """A worker with one deadline backend, and the scanner processes a test starts."""

    def __init__(self, session, queue: str, backend: str = "redis") -> None:
        self.session = session
        self.queue = queue
        self.env = {
            "BAMBOO_DEADLINE_BACKEND": backend,
            "BAMBOO_DEADLINE_QUEUE": f"{queue}_tasks",
            "BAMBOO_DEADLINE_CLAIM_LEASE": LEASE,
            "BAMBOO_CELERY_IMPORTS": "tests.integration.deadline_actions",
        }
        queues = [f"er_execute_{queue}", f"er_schedule_{queue}", f"{queue}_tasks"]
        self.worker = Worker(session, f"deadlines-{queue}", "gevent", 50, queues, self.env)
        self.scanners: List[subprocess.Popen] = []

    def start_scanners(self, *apps: str, probe_mode: Optional[str] = None) -> List[subprocess.Popen]:
        """Start a scanner per app (``timeout`` or ``timer``) and wait until each scans.

        ``probe_mode`` runs the scanner that hangs in the middle of its first pass instead.
        """
        started = []
        for app in apps:
            if probe_mode:
                command = [sys.executable, "-m", "tests.integration.deadline_scanner_probe", app, probe_mode]
            else:
                name = "start_node_timeout_process" if app == "timeout" else "start_node_timer_event_process"
                command = [sys.executable, str(REPO_ROOT / "manage.py"), name, "--interval", "0.2"]
            log_path = self.session.log_dir / f"scanner-{self.queue}-{app}-{len(self.scanners)}.log"
            with open(log_path, "ab") as log:
                process = subprocess.Popen(
                    command,
                    cwd=str(REPO_ROOT),
                    env=self.session.env(**self.env),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            self.scanners.append(process)
            started.append((process, log_path))
        if not probe_mode:
            # Django's start-up takes seconds on a busy machine: the test's clock starts when they scan
            for _, log_path in started:
                wait_until(
                    lambda path=log_path: b"scanning every" in path.read_bytes(), WAIT, "a scanner to start"
                )
        return [process for process, _ in started]

    def stop_scanners(self) -> None:
        """SIGTERM every scanner still running; each must exit cleanly (a probe that hangs is killed)."""
        scanners, self.scanners = self.scanners, []
        codes = []
        for process in scanners:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in scanners:
            try:
                codes.append(process.wait(timeout=30))
            except subprocess.TimeoutExpired:
                process.kill()
                codes.append(process.wait(timeout=30))
        assert all(code in (0, -signal.SIGKILL) for code in codes), f"a scanner did not stop cleanly: {codes}"

    def close(self) -> None:
        try:
            self.stop_scanners()
        finally:
            self.worker.stop()


@pytest.fixture(scope="module")
def deadlines(it_session):
    instance = Deadlines(it_session, "dl", "redis")
    instance.worker.start()
    yield instance
    instance.close()
    from django.conf import settings

    client = settings.redis_inst
    for key in client.scan_iter(match=f"*{it_session.name}*", count=1000):
        client.delete(key)


@pytest.fixture
def scanners(deadlines):
    """No scanner runs before the test; those it starts are stopped after it."""
    deadlines.stop_scanners()
    yield deadlines
    deadlines.stop_scanners()


@pytest.fixture
def running_scanners(deadlines):
    """A timeout scanner and a timer scanner, started once for the tests that share them."""
    if not any(process.poll() is None for process in deadlines.scanners):
        deadlines.start_scanners("timeout", "timer")
    return deadlines


# ------------------------------------------------------------------------------------------ helpers
def _activity(code: str, **inputs) -> ServiceActivity:
    activity = ServiceActivity(component_code=code)
    for key, value in inputs.items():
        setattr(activity.component.inputs, key, Var(type=Var.PLAIN, value=value))
    return activity


def _pipeline(*activities: ServiceActivity) -> dict:
    start_event = EmptyStartEvent()
    tail = start_event
    for activity in activities:
        tail = tail.extend(activity)
    tail.extend(EmptyEndEvent())
    return build_tree(start_event)


def _with_timeout(tree: dict, node_id: str, seconds: int, action: str = "forced_fail") -> dict:
    from pipeline.contrib.node_timeout.api import apply_node_timout_configs, batch_create_node_timeout_config

    apply_node_timout_configs(tree, {node_id: {"enable": True, "action": action, "seconds": seconds}})
    assert batch_create_node_timeout_config(tree["id"], tree)["result"]
    return tree


def _with_timer(tree: dict, node_id: str, timer_type: str, defined: str) -> dict:
    from pipeline.contrib.node_timer_event.api import (
        apply_node_timer_event_configs,
        batch_create_node_timer_event_config,
    )

    timer = {"enable": True, "action": ACTION_NAME, "timer_type": timer_type, "defined": defined}
    assert apply_node_timer_event_configs(tree, {node_id: [timer]}).result
    assert batch_create_node_timer_event_config(tree["id"], tree).result
    return tree


def _probe_counts(session, node_ids) -> Dict[str, int]:
    counts = Counter(line[0] for line in probe_lines(session.probe_dir))
    return {node_id: counts.get(node_id, 0) for node_id in node_ids}


def _wait_probe_counts(session, expected: Dict[str, int]) -> None:
    try:
        wait_until(lambda: _probe_counts(session, expected) == expected, WAIT, "timer action calls", 0.2)
    except TimeoutError as err:
        raise TimeoutError(f"{err}; calls {_probe_counts(session, expected)}") from err


def _waiting_nodes(deadlines, count: int, defined: str = "PT1S") -> List[str]:
    nodes = []
    for _ in range(count):
        waiting = _activity("callback_node")
        start(_with_timer(_pipeline(waiting), waiting.id, "time_duration", defined), queue=deadlines.queue)
        nodes.append(waiting.id)
    return nodes


def _timer_pool_drained(backend: str = "redis") -> bool:
    from django.test import override_settings

    from pipeline.contrib.node_timer_event.wiring import timer_pool

    with override_settings(PIPELINE_NODE_TIMER_EVENT_BACKEND=backend):
        return timer_pool().pending() == 0


def _timers_due(node_ids, backend: str = "redis") -> bool:
    from django.test import override_settings

    from pipeline.contrib.node_timer_event.wiring import timer_pool

    with override_settings(PIPELINE_NODE_TIMER_EVENT_BACKEND=backend):
        armed = timer_pool().armed()
    due = [score for member, score in armed.items() if any(node_id in member for node_id in node_ids)]
    return len(due) == len(node_ids) and max(due) <= time.time()


def _fired(node_ids, model) -> Dict[str, int]:
    members = model.objects.values_list("member", flat=True)
    return {node_id: sum(1 for member in members if node_id in member) for node_id in node_ids}


# -------------------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("mode", ["before", "after"], ids=["killed-before-dispatch", "killed-after-dispatch"])
def test_a_scanner_killed_mid_pass_then_restarted_fires_every_deadline(scanners, it_session, mode):
    marker = Path(it_session.probe_dir) / f"scanner-{mode}.claimed"
    marker.unlink(missing_ok=True)
    nodes = _waiting_nodes(scanners, 6)
    # the worker arms each timer when its node starts: the probe's one pass must find all six due
    wait_until(lambda: _timers_due(nodes), WAIT, "every timer to be armed and due", 0.2)
    [probe] = scanners.start_scanners("timer", probe_mode=mode)
    wait_until(marker.exists, WAIT, "the probe scanner to claim its batch")
    assert int(marker.read_text()) == 6
    if mode == "after":
        _wait_probe_counts(it_session, dict.fromkeys(nodes, 1))  # dispatched, never released
    probe.send_signal(signal.SIGKILL)
    probe.wait(timeout=30)
    assert _probe_counts(it_session, nodes) == dict.fromkeys(nodes, 1 if mode == "after" else 0)

    scanners.start_scanners("timer")  # takes the dead scanner's claims once their lease ran out
    _wait_probe_counts(it_session, dict.fromkeys(nodes, 1))
    wait_until(_timer_pool_drained, WAIT, "every timer to be released")
    assert _probe_counts(it_session, nodes) == dict.fromkeys(nodes, 1)


def test_timeouts_fail_or_skip_late_nodes_and_leave_punctual_ones_alone(running_scanners):
    from pipeline.contrib.node_timeout.models import TimeoutFiring
    from pipeline.eri.models import LogEntry

    failing, failing_next = _activity("slow_node", seconds=5), _activity("debug_node")
    skipped, skipped_next = _activity("slow_node", seconds=5), _activity("debug_node")
    punctual = _activity("debug_node")
    roots = {
        "fail": start(_with_timeout(_pipeline(failing, failing_next), failing.id, 1), queue="dl"),
        "skip": start(
            _with_timeout(_pipeline(skipped, skipped_next), skipped.id, 1, "forced_fail_and_skip"), queue="dl"
        ),
        "punctual": start(_with_timeout(_pipeline(punctual), punctual.id, 10), queue="dl"),
    }

    wait_for_states({failing.id: "FAILED", roots["skip"]: "FINISHED", roots["punctual"]: "FINISHED"}, WAIT)
    outputs = runtime().get_execution_data_outputs(failing.id)
    assert f"node {failing.id} ran longer than its timeout of 1 s" in outputs["ex_data"]
    skipped_state = runtime().get_state(skipped.id)
    assert (skipped_state.name, skipped_state.skip, state_name(skipped_next.id)) == (
        "FINISHED",
        True,
        "FINISHED",
    )
    punctual_state = runtime().get_state(punctual.id)
    assert (punctual_state.name, punctual_state.skip) == ("FINISHED", False)
    assert _fired([punctual.id], TimeoutFiring) == {punctual.id: 0}

    # the timed-out call answers late: nothing changes, and the log of the failed run stays readable
    wait_until(
        lambda: LogEntry.objects.filter(node_id=failing.id, message__contains="answered").exists(),
        WAIT,
        "the slow call to return",
    )
    assert state_name(failing.id) == "FAILED"
    assert "slept" not in runtime().get_execution_data_outputs(failing.id)
    assert (state_name(failing_next.id), state_name(roots["fail"])) == (None, "RUNNING")
    assert "calling the remote side" in runtime().get_plain_log_for_node(failing.id)
    assert _fired([failing.id, skipped.id], TimeoutFiring) == {failing.id: 1, skipped.id: 1}


def test_a_cycle_of_three_runs_a_project_action_three_times(running_scanners, it_session):
    waiting = _activity("callback_node", x=7)
    tree = _with_timer(_pipeline(waiting), waiting.id, "time_cycle", "R3/PT1S")
    root_id = start(tree, queue="dl", data={"operator": "alice"})

    _wait_probe_counts(it_session, {waiting.id: 3})
    wait_until(_timer_pool_drained, WAIT, "the cycle to leave the pool")  # nothing left to fire
    calls = [line for line in probe_lines(it_session.probe_dir) if line[0] == waiting.id]
    version = runtime().get_state(waiting.id).version
    assert calls == [[waiting.id, version, "7", "alice"]] * 3
    assert state_name(waiting.id) == "RUNNING"
    assert api.callback(runtime(), waiting.id, version, {"ok": True}).result
    wait_for_states({root_id: "FINISHED"}, WAIT)


def test_two_scanners_at_once_fire_each_deadline_once(running_scanners, it_session):
    from pipeline.contrib.node_timer_event.models import TimerEventFiring

    running_scanners.start_scanners("timer")  # a second one, beside the running one
    nodes = _waiting_nodes(running_scanners, 20)
    _wait_probe_counts(it_session, dict.fromkeys(nodes, 1))
    wait_until(_timer_pool_drained, WAIT, "every timer to be released")
    assert _probe_counts(it_session, nodes) == dict.fromkeys(nodes, 1)
    assert _fired(nodes, TimerEventFiring) == dict.fromkeys(nodes, 1)


def test_deadlines_use_upstream_redis_layout_under_the_session_prefix(deadlines, it_session):
    from django.conf import settings

    from pipeline.contrib.node_timeout.wiring import timeout_pool

    pool = timeout_pool()
    assert pool.pool_key == f"{it_session.name}:executing_node_pool"
    member = f"n{uuid.uuid4().hex}_v1"
    pool.arm("n-layout", [(member, 123.0)])
    # upstream's layout: a sorted set of "<node_id>_<version>" scored by the deadline
    assert settings.redis_inst.zscore(pool.pool_key, member) == 123.0
    pool.disarm(["n-layout"])
    assert settings.redis_inst.zscore(pool.pool_key, member) is None
