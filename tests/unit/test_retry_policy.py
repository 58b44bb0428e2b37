"""retry_policy on the in-memory runtime with its manual clock: delays, caps, retry_on, cancellation."""

import datetime

import pytest
from prometheus_client import REGISTRY

from bamboo_engine import api, states
from bamboo_engine.builder import (
    ConvergeGateway,
    EmptyEndEvent,
    EmptyStartEvent,
    ParallelGateway,
    RetryPolicy,
    ServiceActivity,
    SubProcess,
    Var,
    build_tree,
)
from bamboo_engine.eri.interfaces import EngineRuntimeInterface
from bamboo_engine.exceptions import TreeInvalidException
from bamboo_engine.metrics import HOST_NAME
from bamboo_engine.plugin import Service, StaticIntervalGenerator
from bamboo_engine.retry_policy import AUTO_RETRY_HEADER, PENDING_KEY, parse_retry_policy
from bamboo_engine.testing import InMemoryRuntime


class Flaky(Service):
    """Fails (returns False or raises, input ``mode``) until attempt ``succeed_at``."""

    def execute(self, data, parent_data):
        attempt = data.get_one_of_inputs("_attempt")
        data.set_outputs("seen_attempt", attempt)
        succeed_at = data.get_one_of_inputs("succeed_at")
        if succeed_at is not None and attempt >= succeed_at:
            return True
        if data.get_one_of_inputs("mode", "fail") == "raise":
            raise RuntimeError(f"boom {attempt}")
        data.set_outputs("ex_data", f"failed {attempt}")
        return False


class FlakyPoll(Service):
    """Its execute succeeds; its first poll fails until attempt ``succeed_at``."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(3)

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        attempt = data.get_one_of_inputs("_attempt", 1)
        data.set_outputs("polled_attempt", attempt)
        if attempt >= data.get_one_of_inputs("succeed_at"):
            self.finish_schedule()
            return True
        return False


class SlowPoll(Service):
    """Finishes on its first poll, 30 s after its execute."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(30)

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        self.finish_schedule()
        return True


@pytest.fixture
def rt():
    runtime = InMemoryRuntime()
    runtime.register_service("flaky", Flaky)
    runtime.register_service("flaky_poll", FlakyPoll)
    runtime.register_service("slow_poll", SlowPoll)
    yield runtime
    runtime.close()


def start(rt, policy, code="flaky", **inputs):
    start_event, act, end = EmptyStartEvent(), ServiceActivity(component_code=code), EmptyEndEvent()
    act.retry_policy = policy
    for key, value in inputs.items():
        setattr(act.component.inputs, key, Var(type=Var.PLAIN, value=value))
    start_event.extend(act).extend(end)
    tree = build_tree(start_event)
    result = api.run_pipeline(rt, tree)
    assert result.result, result.exc_trace
    return tree["id"], act.id


def histories(rt, node_id):
    return api.get_node_histories(rt, node_id).data


def retry_tasks(rt):
    return [t for t in rt.pending_tasks() if AUTO_RETRY_HEADER in t.kwargs["headers"]]


def wait_gaps(rt, node_id):
    """Seconds between each failed run's end and the start of the run after it (the clock's time)."""
    runs = histories(rt, node_id)
    starts = [row["started_time"] for row in runs[1:]] + [rt.get_state(node_id).started_time]
    return [(nxt - row["archived_time"]).total_seconds() for row, nxt in zip(runs, starts, strict=True)]


# ------------------------------------------------------------------------------- the policy rule
def test_delays_follow_the_backoff_and_stop_at_the_cap():
    policy = RetryPolicy(max_attempts=5, interval_seconds=10, backoff_coefficient=3, max_interval_seconds=50)
    assert [policy.delay_after(k) for k in (1, 2, 3, 4)] == [10.0, 30.0, 50.0, 50.0]
    assert RetryPolicy(max_attempts=3, interval_seconds=1.5).delay_after(3) == 6.0


@pytest.mark.parametrize(
    "retry_on, raised, retried",
    [("both", True, True), ("both", False, True), ("fail", False, True), ("fail", True, False)]
    + [("exception", True, True), ("exception", False, False)],
)
def test_retry_on_selects_the_failures_retried(retry_on, raised, retried):
    policy = RetryPolicy(max_attempts=2, interval_seconds=1, retry_on=retry_on)
    assert policy.retries(1, raised) is retried
    assert policy.retries(2, raised) is False  # max_attempts counts the first run


@pytest.mark.parametrize(
    "value, problem",
    [
        ({"interval_seconds": 1}, "needs max_attempts"),
        ({"max_attempts": 0, "interval_seconds": 1}, "max_attempts must be an integer >= 1, got 0"),
        ({"max_attempts": True, "interval_seconds": 1}, "max_attempts must be an integer"),
        ({"max_attempts": 2, "interval_seconds": 0}, "interval_seconds must be a number > 0"),
        ({"max_attempts": 2, "interval_seconds": "5"}, "interval_seconds must be a number > 0"),
        ({"max_attempts": 2, "interval_seconds": 1, "backoff_coefficient": 0.5}, "backoff_coefficient"),
        ({"max_attempts": 2, "interval_seconds": 5, "max_interval_seconds": 1}, "max_interval_seconds"),
        ({"max_attempts": 2, "interval_seconds": 1, "retry_on": "timeout"}, "retry_on must be one of"),
        ({"max_attempts": 2, "interval_seconds": 1, "jitter": 1}, "unknown keys ['jitter']"),
        ([2, 1], "must be an object"),
    ],
)
def test_the_validator_names_the_node_and_the_problem(rt, value, problem):
    with pytest.raises(TreeInvalidException, match=r"activity\(act1\)") as raised:
        parse_retry_policy(value, "act1")
    assert problem in str(raised.value)

    start_event, act, end = EmptyStartEvent(), ServiceActivity(component_code="flaky"), EmptyEndEvent()
    start_event.extend(act).extend(end)
    tree = build_tree(start_event)
    tree["activities"][act.id]["retry_policy"] = value
    result = api.run_pipeline(rt, tree)
    assert isinstance(result.exc, TreeInvalidException)
    assert f"activity({act.id})" in str(result.exc) and problem in str(result.exc)


def test_a_retry_policy_only_on_an_activity_that_does_not_loop(rt):
    policy = {"max_attempts": 2, "interval_seconds": 1}
    sub_start = EmptyStartEvent()
    sub_start.extend(ServiceActivity(component_code="flaky")).extend(EmptyEndEvent())
    sub = SubProcess(start=sub_start)
    looping = ServiceActivity(component_code="flaky")
    for node, problem in ((sub, "SubProcess"), (looping, "both a retry_policy and a loop_config")):
        start_event = EmptyStartEvent()
        start_event.extend(node).extend(EmptyEndEvent())
        tree = build_tree(start_event)
        tree["activities"][node.id]["retry_policy"] = policy
        if node is looping:
            tree["activities"][node.id]["loop_config"] = {"enable": True, "loop_times": 2}
        result = api.run_pipeline(rt, tree)
        assert isinstance(result.exc, TreeInvalidException)
        assert node.id in str(result.exc) and problem in str(result.exc)


def test_a_forced_failure_of_a_running_attempt_is_not_retried(rt):
    """A node timeout fails the node this way: it does not count as a failure for the policy."""
    _, act_id = start(rt, RetryPolicy(max_attempts=3, interval_seconds=1), code="slow_poll")
    rt.wait_for_state(act_id, states.RUNNING)
    rt.run_until_idle(auto_advance=False)
    assert api.forced_fail_activity(rt, act_id, "timed out").result
    rt.run_until_idle()
    assert rt.get_state(act_id).name == states.FAILED and histories(rt, act_id) == []
    assert PENDING_KEY not in rt.get_execution_data_outputs(act_id) and not retry_tasks(rt)


def test_a_branch_retried_into_success_joins_its_parallel_gateway(rt):
    retried = ServiceActivity(component_code="flaky", retry_policy=RetryPolicy(2, 5))
    retried.component.inputs.succeed_at = Var(type=Var.PLAIN, value=2)
    other = ServiceActivity(component_code="slow_poll")
    start_event, parallel, converge = EmptyStartEvent(), ParallelGateway(), ConvergeGateway()
    start_event.extend(parallel).connect(retried, other).converge(converge).extend(EmptyEndEvent())
    tree = build_tree(start_event)
    assert api.run_pipeline(rt, tree).result
    rt.run_until_idle()
    assert rt.get_state(tree["id"]).name == states.FINISHED
    assert len(histories(rt, retried.id)) == 1


def test_the_builder_writes_the_tree_key():
    start_event = EmptyStartEvent()
    act = ServiceActivity(component_code="flaky", retry_policy=RetryPolicy(3, 2, retry_on="fail"))
    as_dict = ServiceActivity(component_code="flaky", retry_policy={"max_attempts": 2, "interval_seconds": 1})
    start_event.extend(act).extend(as_dict).extend(EmptyEndEvent())
    tree = build_tree(start_event)
    assert tree["activities"][act.id]["retry_policy"] == {
        "max_attempts": 3,
        "interval_seconds": 2,
        "backoff_coefficient": 2.0,
        "retry_on": "fail",
    }
    assert tree["activities"][as_dict.id]["retry_policy"] == {"max_attempts": 2, "interval_seconds": 1}
    with pytest.raises(TreeInvalidException, match="interval_seconds"):
        RetryPolicy(max_attempts=2, interval_seconds=-1)


def test_the_policy_survives_the_stored_node(rt):
    policy = RetryPolicy(max_attempts=4, interval_seconds=2, max_interval_seconds=3)
    _, act_id = start(rt, policy)
    assert rt.get_node(act_id).retry_policy == policy


# ------------------------------------------------------------------------------- running
def test_each_retry_waits_its_delay_on_the_clock(rt):
    policy = RetryPolicy(max_attempts=4, interval_seconds=10, backoff_coefficient=3, max_interval_seconds=20)
    root_id, act_id = start(rt, policy, succeed_at=4)
    rt.wait_for_state(act_id, states.FAILED)
    assert [t.due - rt.clock.now() for t in retry_tasks(rt)] == [datetime.timedelta(seconds=10)]

    rt.clock.advance(9.9)
    rt.run_until_idle(auto_advance=False)
    assert rt.get_state(act_id).name == states.FAILED and histories(rt, act_id) == []

    rt.run_until_idle()
    assert rt.get_state(root_id).name == states.FINISHED
    assert wait_gaps(rt, act_id) == [10.0, 20.0, 20.0]
    assert rt.get_execution_data_outputs(act_id)["seen_attempt"] == 4


def test_a_failed_poll_is_retried_from_execute_with_the_attempt_in_its_inputs(rt):
    root_id, act_id = start(
        rt, RetryPolicy(max_attempts=3, interval_seconds=5), code="flaky_poll", succeed_at=2
    )
    rt.run_until_idle()
    assert rt.get_state(root_id).name == states.FINISHED
    (row,) = histories(rt, act_id)
    assert row["outputs"]["polled_attempt"] == 1 and row["outputs"][PENDING_KEY]["next_attempt"] == 2
    assert rt.get_execution_data_outputs(act_id)["polled_attempt"] == 2


def test_used_up_attempts_and_scheduled_retries_are_counted_per_code(rt):
    def sample(name):
        return REGISTRY.get_sample_value(name, {"code": "flaky", "hostname": HOST_NAME}) or 0.0

    scheduled, exhausted = (
        sample("engine_node_retry_scheduled_count_total"),
        sample("engine_node_retry_exhausted_count_total"),
    )
    _, act_id = start(rt, RetryPolicy(max_attempts=3, interval_seconds=1))
    rt.run_until_idle()
    assert rt.get_state(act_id).name == states.FAILED and len(histories(rt, act_id)) == 2
    assert sample("engine_node_retry_scheduled_count_total") - scheduled == 2
    assert sample("engine_node_retry_exhausted_count_total") - exhausted == 1


def test_an_error_ignorable_node_is_not_retried(rt):
    start_event, act, end = EmptyStartEvent(), ServiceActivity(component_code="flaky"), EmptyEndEvent()
    act.error_ignorable = True
    act.retry_policy = RetryPolicy(max_attempts=3, interval_seconds=1)
    start_event.extend(act).extend(end)
    tree = build_tree(start_event)
    api.run_pipeline(rt, tree)
    rt.run_until_idle()
    assert rt.get_state(tree["id"]).name == states.FINISHED and histories(rt, act.id) == []


# ------------------------------------------------------------------------------- cancellation
def test_pausing_a_subprocess_cancels_the_retries_inside_it_only(rt):
    policy = RetryPolicy(max_attempts=3, interval_seconds=10)
    inner, outer = (ServiceActivity(component_code="flaky", retry_policy=policy) for _ in range(2))
    sub_start = EmptyStartEvent()
    sub_start.extend(inner).extend(EmptyEndEvent())
    sub = SubProcess(start=sub_start)
    start_event, parallel, converge = EmptyStartEvent(), ParallelGateway(), ConvergeGateway()
    start_event.extend(parallel).connect(sub, outer).converge(converge).extend(EmptyEndEvent())
    tree = build_tree(start_event)
    assert api.run_pipeline(rt, tree).result
    rt.run_until_idle(auto_advance=False)
    assert {rt.get_state(n).name for n in (inner.id, outer.id)} == {states.FAILED}

    assert api.pause_pipeline(rt, sub.id).result
    assert PENDING_KEY not in rt.get_execution_data_outputs(inner.id)
    assert PENDING_KEY in rt.get_execution_data_outputs(outer.id)
    rt.run_until_idle()
    assert histories(rt, inner.id) == [] and len(histories(rt, outer.id)) == 2


def test_a_cancelled_retry_does_not_move_the_process_that_went_on(rt):
    start_event, act, wait, end = (
        EmptyStartEvent(),
        ServiceActivity(component_code="flaky", retry_policy=RetryPolicy(3, 10)),
        ServiceActivity(component_code="slow_poll"),
        EmptyEndEvent(),
    )
    start_event.extend(act).extend(wait).extend(end)
    tree = build_tree(start_event)
    api.run_pipeline(rt, tree)
    rt.wait_for_state(act.id, states.FAILED)
    assert api.skip_node(rt, act.id).result
    rt.run_until_idle(auto_advance=False)  # the process sleeps at wait: its poll is due in 30 s
    rt.clock.advance(10)  # the cancelled retry falls due
    rt.run_until_idle(auto_advance=False)
    assert not retry_tasks(rt)
    assert rt.get_sleep_process_info_with_current_node_id(wait.id) is not None
    assert rt.get_state(wait.id).name == states.RUNNING

    rt.run_until_idle()
    assert rt.get_state(tree["id"]).name == states.FINISHED
    assert rt.get_state(act.id).retry == 0 and len(histories(rt, act.id)) == 1


def test_an_interrupted_retry_still_runs_once(rt):
    root_id, act_id = start(rt, RetryPolicy(max_attempts=3, interval_seconds=5), succeed_at=2)
    rt.wait_for_state(act_id, states.FAILED)
    handle = rt.inject_interrupt("set_state", when=lambda *a, **kw: kw.get("to_state") == states.READY)
    rt.run_until_idle()
    assert handle.raised == 1
    assert rt.get_state(root_id).name == states.FINISHED
    assert len(histories(rt, act_id)) == 1 and rt.get_state(act_id).retry == 1


def test_a_runtime_without_delayed_messages_leaves_the_failure_to_an_operator():
    class NoDelays(InMemoryRuntime):
        DELAYED_EXECUTE = False

    runtime = NoDelays()
    try:
        runtime.register_service("flaky", Flaky)
        _, act_id = start(runtime, RetryPolicy(max_attempts=3, interval_seconds=1))
        runtime.run_until_idle()
        assert runtime.get_state(act_id).name == states.FAILED and histories(runtime, act_id) == []
        assert PENDING_KEY not in runtime.get_execution_data_outputs(act_id)
    finally:
        runtime.close()


def test_declaring_delayed_execute_needs_the_method():
    with pytest.raises(TypeError, match="DELAYED_EXECUTE"):
        type("Broken", (EngineRuntimeInterface,), {"DELAYED_EXECUTE": True})
