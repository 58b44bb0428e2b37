"""Timer events on the in-memory path and on the Django runtime (``rig`` fixture, tests/deadlines/rigs.py).

``tests_recording`` (tests/deadlines/actions.py) is an action a project registers: it records its calls.
"""

import contextlib
import datetime
import threading

from tests.contract.trees import activity, linear_tree
from tests.deadlines.actions import calls_of
from tests.deadlines.rigs import LEASE, TIMER, MemoryRig


def _timer(defined, timer_type="time_duration", action="tests_recording"):
    return {"enable": True, "action": action, "timer_type": timer_type, "defined": defined}


def _waiting_pipeline(rig, timers, after=None, **inputs):
    waiting = activity("callback_node", name="waiting", **inputs)
    tree = linear_tree(*([waiting] + ([after] if after is not None else [])))
    rig.configure(tree, timers={waiting.id: timers})
    root_id = rig.harness.start(tree, root_pipeline_data={"operator": "alice"})
    rig.harness.wait_for_state(waiting.id, "RUNNING")
    return root_id, waiting.id


def test_a_cycle_of_three_fires_three_times(rig):
    root_id, node_id = _waiting_pipeline(rig, [_timer("R3/PT1S", "time_cycle")])
    fired = []
    for _ in range(3):
        rig.advance(0.5)
        assert rig.scan() == 0
        rig.advance(0.5)
        assert rig.scan() == 1
        fired.append(len(calls_of(node_id)))
    assert fired == [1, 2, 3]

    rig.advance(10)
    assert rig.scan() == 0
    assert len(calls_of(node_id)) == 3
    assert rig.pool(TIMER).pending() == 0
    assert rig.harness.state_name(node_id) == "RUNNING"


def test_a_project_action_runs_with_the_node_data(rig):
    root_id, node_id = _waiting_pipeline(rig, [_timer("PT3S")], x=7)
    rig.advance(3)
    assert rig.scan() == 1
    [call] = calls_of(node_id)
    assert call["version"] == rig.runtime.get_state(node_id).version
    assert call["root_pipeline_id"] == root_id
    assert call["inputs"]["x"] == 7
    assert call["parent_inputs"] == {"operator": "alice"}


def test_a_time_date_timer_fires_once_at_its_moment(rig):
    moment = datetime.datetime.fromtimestamp(rig.now + 2, tz=datetime.UTC)
    root_id, node_id = _waiting_pipeline(rig, [_timer(moment.isoformat(), "time_date")])
    rig.advance(1)
    assert rig.scan() == 0
    rig.advance(1.5)
    assert rig.scan() == 1
    rig.advance(60)
    assert rig.scan() == 0
    assert len(calls_of(node_id)) == 1


def test_the_built_in_fail_and_skip_action_lets_the_pipeline_go_on(rig):
    after = activity("empty_node", name="after")
    timers = [_timer("PT2S", action="bamboo_engine_forced_fail_and_skip")]
    root_id, node_id = _waiting_pipeline(rig, timers, after=after)
    rig.advance(2)
    assert rig.scan() == 1
    rig.harness.wait_for_state(root_id, "FINISHED")
    assert rig.runtime.get_state(node_id).skip is True
    assert rig.pool(TIMER).pending() == 0


def test_timers_of_a_node_that_finished_never_fire(rig):
    root_id, node_id = _waiting_pipeline(rig, [_timer("PT5S"), _timer("R2/PT1S", "time_cycle")])
    assert rig.pool(TIMER).pending() == 2
    rig.harness.callback(node_id, {"ok": True})
    rig.harness.wait_for_state(root_id, "FINISHED")
    assert rig.pool(TIMER).pending() == 0
    rig.advance(10)
    assert rig.scan() == 0
    assert calls_of(node_id) == []


def test_a_timer_dispatched_twice_acts_once(rig):
    # The scanner dies after dispatching but before releasing: once the lease ran out the batch is
    # claimed and dispatched again, and the ledger makes the repeat do nothing.
    root_id, node_id = _waiting_pipeline(rig, [_timer("PT1S")])
    rig.advance(1)

    class Killed(Exception):
        pass

    def dispatch_then_die(claims):
        rig.dispatcher(TIMER)(claims)
        raise Killed

    with contextlib.suppress(Killed):
        rig.scanner(TIMER, dispatch=dispatch_then_die).run_pass()
    assert len(calls_of(node_id)) == 1
    rig.advance(LEASE / 2)
    assert rig.scan() == 0  # still held by the dead scanner
    rig.advance(LEASE)
    assert rig.scan() == 1
    assert len(calls_of(node_id)) == 1
    assert rig.pool(TIMER).pending() == 0


def test_a_scanner_killed_mid_pass_then_restarted_fires_every_timer(rig):
    nodes = [_waiting_pipeline(rig, [_timer("PT1S")])[1] for _ in range(5)]
    rig.advance(1)
    batches = []

    class Killed(Exception):
        pass

    def die_at_second_batch(claims):
        batches.append(len(claims))
        if len(batches) == 2:
            raise Killed  # claimed, never dispatched
        rig.dispatcher(TIMER)(claims)

    with contextlib.suppress(Killed):
        rig.scanner(TIMER, dispatch=die_at_second_batch, batch_size=2).run_pass()
    assert batches == [2, 2]
    assert sum(len(calls_of(node_id)) for node_id in nodes) == 2

    rig.advance(LEASE + 1)
    assert rig.scan() == 3
    assert [len(calls_of(node_id)) for node_id in nodes] == [1] * 5
    assert rig.pool(TIMER).pending() == 0


def test_two_scanners_at_once_fire_each_timer_once(request):
    rig = MemoryRig(request)
    try:
        nodes = [_waiting_pipeline(rig, [_timer("PT1S")])[1] for _ in range(40)]
        rig.advance(1)
        start = threading.Barrier(2)
        reports = []

        def scan():
            scanner = rig.scanner(TIMER, batch_size=3)
            start.wait()
            reports.append(scanner.run_pass())

        threads = [threading.Thread(target=scan) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sum(report.dispatched for report in reports) == 40
        assert [len(calls_of(node_id)) for node_id in nodes] == [1] * 40
        assert rig.fired(TIMER) == 40
    finally:
        rig.close()
