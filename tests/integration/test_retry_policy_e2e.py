"""retry_policy on a real worker (MariaDB, RabbitMQ): a retry fires after its delay, and a worker killed
while the retry waits loses nothing (the delayed message is unacknowledged, so the broker hands it to the
next worker, which runs it when it falls due)."""

import pytest

from bamboo_engine import api
from bamboo_engine.builder import RetryPolicy
from tests.contract.trees import activity, linear_tree
from tests.integration.env import Worker, wait_until
from tests.integration.helpers import PROBE_IMPORTS, runtime, start, state_name

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

QUEUE = "retry"
ENV = {**PROBE_IMPORTS, "BAMBOO_CONTRACT_PLUGINS": "1"}


def _worker(it_session) -> Worker:
    queues = [f"er_execute_{QUEUE}", f"er_schedule_{QUEUE}"]
    return Worker(it_session, "retry-policy", "gevent", 20, queues, ENV).start()


def _flaky(interval: float):
    act = activity("flaky_node", succeed_at=2)
    act.retry_policy = RetryPolicy(max_attempts=3, interval_seconds=interval)
    return act


def _histories(node_id: str) -> list:
    result = api.get_node_histories(runtime(), node_id)
    assert result.result, result.message
    return result.data


def _wait_finished(root_id: str, worker: Worker) -> None:
    try:
        wait_until(lambda: state_name(root_id) == "FINISHED", 120, f"pipeline {root_id} to finish")
    except TimeoutError as err:
        raise TimeoutError(f"{err}\nworker log:\n{worker.log_tail()}") from err


def test_one_retry_fires_after_its_delay(it_session):
    worker = _worker(it_session)
    try:
        act = _flaky(interval=3)
        root_id = start(linear_tree(act), queue=QUEUE)
        _wait_finished(root_id, worker)
    finally:
        worker.stop()

    (failed_run,) = _histories(act.id)
    assert failed_run["inputs"]["_attempt"] == 1
    state = runtime().get_state(act.id)
    assert state.retry == 1 and runtime().get_execution_data_outputs(act.id)["seen_attempt"] == 2
    # the retry did not start before its delay (both times written by the worker)
    assert (state.started_time - failed_run["archived_time"]).total_seconds() >= 3


def test_a_worker_killed_while_the_retry_waits_loses_nothing(it_session):
    worker = _worker(it_session)
    try:
        act = _flaky(interval=6)
        root_id = start(linear_tree(act), queue=QUEUE)
        wait_until(lambda: state_name(act.id) == "FAILED", 60, "the first attempt to fail")
        worker.kill()  # the delayed message was received by this worker and never acknowledged
        assert _histories(act.id) == [] and state_name(act.id) == "FAILED"
        worker.start()
        _wait_finished(root_id, worker)
    finally:
        worker.stop()

    assert len(_histories(act.id)) == 1
    state = runtime().get_state(act.id)
    assert state.name == "FINISHED" and state.retry == 1
