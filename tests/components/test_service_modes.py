"""Every schedule mode of ``pipeline.core.flow.Service`` run through the in-memory runtime."""

import pytest

from bamboo_engine import api, states
from pipeline.component_framework.component import Component
from pipeline.core.flow import (
    DefaultIntervalGenerator,
    LinearIntervalGenerator,
    NullIntervalGenerator,
    Service,
    SquareIntervalGenerator,
    StaticIntervalGenerator,
)
from tests.components.helpers import (
    outputs_of,
    register_components,
    run_single_activity,
    single_activity_tree,
)


def test_factorial_component_runs_in_the_in_memory_runtime(runtime):
    tree, node_id = run_single_activity(runtime, "factorial", {"n": 4})

    assert runtime.get_state(tree["id"]).name == states.FINISHED
    assert outputs_of(runtime, node_id) == {
        "_loop": 1,
        "_inner_loop": 1,
        "_result": True,
        "factorial_of_n": 24,
    }


def test_factorial_component_failure_carries_its_message(runtime):
    tree, node_id = run_single_activity(runtime, "factorial", {"n": -1})

    assert runtime.states(tree["id"])[node_id] == states.FAILED
    outputs = outputs_of(runtime, node_id)
    assert outputs["_result"] is False
    assert outputs["ex_data"] == "n must be a non-negative integer, got -1"


def _declare_poller(generator, polls_needed=3):
    class PollService(Service):
        __need_schedule__ = True
        interval = generator

        def execute(self, data, parent_data):
            return True

        def schedule(self, data, parent_data, callback_data=None):
            data.outputs.polls = data.get_one_of_outputs("polls", 0) + 1
            if data.outputs.polls >= polls_needed:
                self.finish_schedule()
            return True

    class PollComponent(Component):
        name = "Poller"
        code = "poller"
        bound_service = PollService

    return PollComponent


def _schedule_delays(rt):
    """Seconds between each dispatched schedule message and the message before it."""
    dues = [task.due for task in rt.task_log if task.kind in ("execute", "schedule")]
    kinds = [task.kind for task in rt.task_log if task.kind in ("execute", "schedule")]
    return [(dues[i] - dues[i - 1]).total_seconds() for i in range(1, len(dues)) if kinds[i] == "schedule"]


@pytest.mark.parametrize(
    ("generator", "expected_delays"),
    [
        # Spec quirk: the first delay is next() on a fresh generator, later ones restart from times - 1.
        (DefaultIntervalGenerator(), [1, 1, 4]),
        (SquareIntervalGenerator(), [1, 1, 4]),
        (StaticIntervalGenerator(5), [5, 5, 5]),
    ],
    ids=["default", "square", "static"],
)
def test_poll_mode_waits_the_generator_intervals(runtime, generator, expected_delays):
    _declare_poller(generator)
    tree, node_id = run_single_activity(runtime, "poller")

    assert runtime.states(tree["id"])[node_id] == states.FINISHED
    assert outputs_of(runtime, node_id)["polls"] == 3
    assert _schedule_delays(runtime) == expected_delays


@pytest.mark.parametrize(
    "generator", [NullIntervalGenerator(), LinearIntervalGenerator()], ids=["null", "linear"]
)
def test_poll_mode_with_generators_yielding_none_polls_without_delay(runtime, generator):
    _declare_poller(generator)
    tree, node_id = run_single_activity(runtime, "poller")

    assert runtime.states(tree["id"])[node_id] == states.FINISHED
    assert outputs_of(runtime, node_id)["polls"] == 3
    assert all(delay == 0 for delay in _schedule_delays(runtime))


def test_debug_node_finishes_on_its_first_poll_with_inputs_copied(runtime):
    tree, node_id = run_single_activity(runtime, "debug_node", {"param_1": "value_1", "param_2": "value_2"})

    assert runtime.get_state(tree["id"]).name == states.FINISHED
    assert outputs_of(runtime, node_id) == {
        "param_1": "value_1",
        "param_2": "value_2",
        "_loop": 1,
        "_inner_loop": 1,
        "_result": True,
    }


def _run_until_waiting(rt, code, inputs=None):
    tree, activity = single_activity_tree(code, inputs)
    register_components(rt, code)
    assert api.run_pipeline(rt, tree).result
    rt.run_until_idle()
    assert rt.states(tree["id"])[activity.id] == states.RUNNING, "the node should wait for a callback"
    return tree, activity.id


def _callback(rt, node_id, data):
    result = api.callback(rt, node_id, rt.get_state(node_id).version, data)
    assert result.result, result.exc_trace
    rt.run_until_idle()


def test_callback_mode_finishes_on_one_callback(runtime):
    tree, node_id = _run_until_waiting(runtime, "callback_node")

    _callback(runtime, node_id, {"ok": True, "ticket": 7})

    assert runtime.get_state(tree["id"]).name == states.FINISHED
    assert outputs_of(runtime, node_id)["callback_data"] == {"ok": True, "ticket": 7}


def test_callback_mode_schedule_failure_fails_the_node_with_its_message(runtime):
    tree, node_id = _run_until_waiting(runtime, "callback_node")

    _callback(runtime, node_id, {"ok": False, "message": "remote job crashed"})

    assert runtime.states(tree["id"])[node_id] == states.FAILED
    outputs = outputs_of(runtime, node_id)
    assert outputs["ex_data"] == "remote job crashed"
    assert outputs["_result"] is False


def test_multiple_callback_mode_collects_callbacks_until_finished(runtime):
    tree, node_id = _run_until_waiting(runtime, "multi_callback_node", {"callbacks_needed": 3})

    _callback(runtime, node_id, {"part": 1})
    _callback(runtime, node_id, {"part": 2})
    assert runtime.states(tree["id"])[node_id] == states.RUNNING

    _callback(runtime, node_id, {"part": 3})
    assert runtime.get_state(tree["id"]).name == states.FINISHED
    assert outputs_of(runtime, node_id)["callbacks"] == [{"part": 1}, {"part": 2}, {"part": 3}]


def test_execute_returning_false_fails_with_the_service_message(runtime):
    tree, node_id = run_single_activity(runtime, "fail_node", {"message": "quota exceeded"})

    assert runtime.states(tree["id"])[node_id] == states.FAILED
    assert outputs_of(runtime, node_id)["ex_data"] == "quota exceeded"


def test_execute_raising_puts_the_traceback_in_ex_data(runtime):
    tree, node_id = run_single_activity(runtime, "raise_node", {"message": "disk on fire"})

    assert runtime.states(tree["id"])[node_id] == states.FAILED
    ex_data = outputs_of(runtime, node_id)["ex_data"]
    assert "Traceback (most recent call last)" in ex_data
    assert "PlaygroundError: disk on fire" in ex_data


def test_schedule_raising_puts_the_traceback_in_ex_data(runtime):
    class BrokenPollService(Service):
        __need_schedule__ = True
        interval = StaticIntervalGenerator(1)

        def execute(self, data, parent_data):
            return True

        def schedule(self, data, parent_data, callback_data=None):
            raise ValueError("poll target vanished")

    class BrokenPollComponent(Component):
        name = "Broken poller"
        code = "broken_poller"
        bound_service = BrokenPollService

    tree, node_id = run_single_activity(runtime, "broken_poller")

    assert runtime.states(tree["id"])[node_id] == states.FAILED
    assert "ValueError: poll target vanished" in outputs_of(runtime, node_id)["ex_data"]


def test_sleep_timer_polls_until_its_seconds_passed(runtime, monkeypatch):
    clock = {"now": 1000.0}
    monkeypatch.setattr("playground.components.collections.timers.time.time", lambda: clock["now"])
    tree, activity = single_activity_tree("sleep_timer", {"seconds": 2.5})
    register_components(runtime, "sleep_timer")
    assert api.run_pipeline(runtime, tree).result
    runtime.run_until_idle(auto_advance=False)
    for _ in range(2):
        clock["now"] += 1
        runtime.clock.advance(1)
        runtime.run_until_idle(auto_advance=False)
        assert runtime.states(tree["id"])[activity.id] == states.RUNNING

    clock["now"] += 1
    runtime.clock.advance(1)
    runtime.run_until_idle(auto_advance=False)

    assert runtime.get_state(tree["id"]).name == states.FINISHED
    assert outputs_of(runtime, activity.id)["wake_at"] == 1002.5
