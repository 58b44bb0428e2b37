"""Node outcome counters and handler pre/post timings recorded while pipelines run.

Every test reads the global prometheus registry before and after one pipeline run; service codes are
unique per test so label sets never overlap between tests.
"""

import pytest
from prometheus_client import REGISTRY

from bamboo_engine import api, states
from bamboo_engine.builder import (
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    ServiceActivity,
    build_tree,
)
from bamboo_engine.metrics import HOST_NAME
from bamboo_engine.plugin import Service, StaticIntervalGenerator
from bamboo_engine.testing import InMemoryRuntime


class ReturnsFalse(Service):
    def execute(self, data, parent_data):
        return False


class Raises(Service):
    def execute(self, data, parent_data):
        raise RuntimeError("disk on fire")


class Succeeds(Service):
    def execute(self, data, parent_data):
        return True


class PollRaises(Service):
    __need_schedule__ = True
    interval = StaticIntervalGenerator(0)

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        raise RuntimeError("poll broke")


class PollReturnsFalse(PollRaises):
    def schedule(self, data, parent_data, callback_data=None):
        return False


class PollFinishes(PollRaises):
    def schedule(self, data, parent_data, callback_data=None):
        self.finish_schedule()
        return True


def sample(name, type_label):
    value = REGISTRY.get_sample_value(name, {"type": type_label, "hostname": HOST_NAME})
    return value or 0.0


class Counters:
    """Snapshot of every node outcome counter (and handler timing count) for one ``type`` label."""

    NAMES = (
        "engine_execute_failed_count_total",
        "engine_execute_exception_count_total",
        "engine_schedule_failed_count_total",
        "engine_schedule_exception_count_total",
        "engine_node_execute_pre_process_duration_count",
        "engine_node_execute_post_process_duration_count",
        "engine_node_schedule_pre_process_duration_count",
        "engine_node_schedule_post_process_duration_count",
    )

    def __init__(self, type_label):
        self.type_label = type_label
        self.before = self._read()

    def _read(self):
        return {name: sample(name, self.type_label) for name in self.NAMES}

    def delta(self):
        after = self._read()
        return {name.split("engine_")[1]: after[name] - self.before[name] for name in self.NAMES}


@pytest.fixture
def rt():
    runtime = InMemoryRuntime()
    yield runtime
    runtime.close()


def run_single(rt, code, service_cls, **activity_options):
    """Run start -> one activity of ``code`` -> end until idle; returns the activity id."""
    rt.register_service(code, service_cls)
    start, act, end = (
        EmptyStartEvent(),
        ServiceActivity(component_code=code, **activity_options),
        EmptyEndEvent(),
    )
    start.extend(act).extend(end)
    result = api.run_pipeline(rt, build_tree(start))
    assert result.result, result.exc_trace
    rt.run_until_idle()
    return act.id


def test_execute_returning_false_counts_one_failure_no_exception(rt):
    counters = Counters("metrics_exec_false_legacy")
    act_id = run_single(rt, "metrics_exec_false", ReturnsFalse)
    assert rt.get_state(act_id).name == states.FAILED
    delta = counters.delta()
    assert delta["execute_failed_count_total"] == 1
    assert delta["execute_exception_count_total"] == 0
    assert delta["schedule_failed_count_total"] == 0


def test_execute_raising_counts_an_exception_and_the_failure(rt):
    counters = Counters("metrics_exec_raise_legacy")
    act_id = run_single(rt, "metrics_exec_raise", Raises)
    assert rt.get_state(act_id).name == states.FAILED
    assert "Traceback" in rt.get_execution_data_outputs(act_id)["ex_data"]
    delta = counters.delta()
    assert delta["execute_exception_count_total"] == 1
    assert delta["execute_failed_count_total"] == 1


def test_error_ignorable_failure_is_not_counted_as_failed(rt):
    counters = Counters("metrics_exec_ignored_legacy")
    act_id = run_single(rt, "metrics_exec_ignored", Raises, error_ignorable=True)
    assert rt.get_state(act_id).name == states.FINISHED
    delta = counters.delta()
    assert delta["execute_exception_count_total"] == 1
    assert delta["execute_failed_count_total"] == 0


def test_schedule_raising_counts_schedule_exception_and_failure(rt):
    counters = Counters("metrics_poll_raise_legacy")
    act_id = run_single(rt, "metrics_poll_raise", PollRaises)
    assert rt.get_state(act_id).name == states.FAILED
    delta = counters.delta()
    assert delta["schedule_exception_count_total"] == 1
    assert delta["schedule_failed_count_total"] == 1
    assert delta["execute_failed_count_total"] == 0
    assert delta["execute_exception_count_total"] == 0


def test_schedule_returning_false_counts_schedule_failure_only(rt):
    counters = Counters("metrics_poll_false_legacy")
    act_id = run_single(rt, "metrics_poll_false", PollReturnsFalse)
    assert rt.get_state(act_id).name == states.FAILED
    delta = counters.delta()
    assert delta["schedule_failed_count_total"] == 1
    assert delta["schedule_exception_count_total"] == 0


def test_successful_activity_counts_nothing_but_times_each_phase_once(rt):
    counters = Counters("metrics_poll_ok_legacy")
    act_id = run_single(rt, "metrics_poll_ok", PollFinishes)
    assert rt.get_state(act_id).name == states.FINISHED
    delta = counters.delta()
    assert delta["execute_failed_count_total"] == delta["schedule_failed_count_total"] == 0
    assert delta["execute_exception_count_total"] == delta["schedule_exception_count_total"] == 0
    assert delta["node_execute_pre_process_duration_count"] == 1
    assert delta["node_execute_post_process_duration_count"] == 1
    assert delta["node_schedule_pre_process_duration_count"] == 1
    assert delta["node_schedule_post_process_duration_count"] == 1


def test_activity_without_schedule_times_only_the_execute_phases(rt):
    counters = Counters("metrics_exec_ok_legacy")
    run_single(rt, "metrics_exec_ok", Succeeds)
    delta = counters.delta()
    assert delta["node_execute_pre_process_duration_count"] == 1
    assert delta["node_execute_post_process_duration_count"] == 1
    assert delta["node_schedule_pre_process_duration_count"] == 0


def test_gateway_failure_is_counted_under_its_snake_case_type(rt):
    counters = Counters("exclusive_gateway")
    rt.register_service("metrics_gw_ok", Succeeds)
    start, end = EmptyStartEvent(), EmptyEndEvent()
    gateway = ExclusiveGateway(conditions={0: "1 == 2", 1: "2 == 3"})
    first, second = (
        ServiceActivity(component_code="metrics_gw_ok"),
        ServiceActivity(component_code="metrics_gw_ok"),
    )
    start.extend(gateway).connect(first, second)
    first.extend(end)
    second.connect(end)
    result = api.run_pipeline(rt, build_tree(start))
    assert result.result, result.exc_trace
    rt.run_until_idle()
    assert rt.get_state(gateway.id).name == states.FAILED
    assert counters.delta()["execute_failed_count_total"] == 1


class BrokenRuntime(InMemoryRuntime):
    """A runtime whose ``get_data`` fails with an error that is not an interrupt (a handler bug)."""

    broken_node = ""

    def get_data(self, node_id):
        if node_id == self.broken_node:
            raise KeyError(f"no data for {node_id}")
        return super().get_data(node_id)


def test_handler_error_escaping_the_handler_is_counted_as_execute_exception_and_failure():
    runtime = BrokenRuntime()
    try:
        counters = Counters("metrics_broken_legacy")
        runtime.register_service("metrics_broken", Succeeds)
        start, act, end = EmptyStartEvent(), ServiceActivity(component_code="metrics_broken"), EmptyEndEvent()
        start.extend(act).extend(end)
        runtime.broken_node = act.id
        assert api.run_pipeline(runtime, build_tree(start)).result
        runtime.run_until_idle()
        assert runtime.get_state(act.id).name == states.FAILED  # the engine's net failed the node
        delta = counters.delta()
        assert delta["execute_exception_count_total"] == 1
        assert delta["execute_failed_count_total"] == 1
    finally:
        runtime.close()


def test_a_timed_function_observes_each_call_once_into_its_hostname_child():
    import threading

    from prometheus_client import CollectorRegistry, Histogram

    from bamboo_engine.metrics import setup_histogram

    registry = CollectorRegistry()
    first = Histogram("timed_first", "t", labelnames=["hostname"], registry=registry)
    second = Histogram("timed_second", "t", labelnames=["hostname"], registry=registry)

    @setup_histogram(first, second)
    def work(value):
        return value * 2

    def count(name):
        return registry.get_sample_value(f"{name}_count", {"hostname": HOST_NAME}) or 0

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert work(21) == 42
    assert (count("timed_first"), count("timed_second")) == (9, 9)
