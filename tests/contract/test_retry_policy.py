"""Contract: a ServiceActivity's ``retry_policy`` retried by the engine (docs/retry-policy.md)."""

import pytest

from bamboo_engine import api
from bamboo_engine.builder import RetryPolicy
from bamboo_engine.retry_policy import PENDING_KEY
from tests.contract.harness import assert_ok
from tests.contract.services import FLAKY_MESSAGE
from tests.contract.trees import activity, linear_tree

pytestmark = pytest.mark.contract

FINISHED, FAILED = "FINISHED", "FAILED"


def flaky(policy: RetryPolicy, **inputs):
    act = activity("flaky_node", **inputs)
    act.retry_policy = policy
    return act


def histories(harness, node_id):
    return assert_ok(api.get_node_histories(harness.runtime, node_id))


def wait_for_final_failure(harness, node_id, failed_attempts):
    """Wait until the node FAILED for good after ``failed_attempts`` runs (no retry pending)."""
    harness.wait_until(
        lambda: harness.state_name(node_id) == FAILED
        and len(histories(harness, node_id)) == failed_attempts - 1
        and PENDING_KEY not in harness.outputs(node_id),
        description=f"{node_id} failed {failed_attempts} times",
    )


def test_two_failures_then_success_finish_with_two_history_rows_and_backoff_delays(harness):
    act = flaky(RetryPolicy(max_attempts=3, interval_seconds=1, backoff_coefficient=2.0), succeed_at=3)
    after = activity("empty_node")
    root_id = harness.start(linear_tree(act, after))
    harness.wait_for_state(root_id, FINISHED)

    state = harness.state(act.id)
    assert state.name == FINISHED and state.retry == 2
    assert harness.outputs(act.id)["seen_attempt"] == 3
    assert harness.inputs(act.id)["_attempt"] == 3
    rows = histories(harness, act.id)
    assert [row["inputs"]["_attempt"] for row in rows] == [1, 2]
    assert [row["retry"] for row in rows] == [0, 1]
    assert [row["outputs"]["ex_data"] for row in rows] == [
        f"{FLAKY_MESSAGE} at attempt 1",
        f"{FLAKY_MESSAGE} at attempt 2",
    ]
    # the delays the engine waited: interval * coefficient ** (attempt - 1)
    assert [row["outputs"][PENDING_KEY]["delay_seconds"] for row in rows] == [1.0, 2.0]
    assert len({row["version"] for row in rows} | {state.version}) == 3
    assert harness.state_name(after.id) == FINISHED


def test_attempts_used_up_leave_the_node_failed_with_the_last_error(harness):
    act = flaky(RetryPolicy(max_attempts=2, interval_seconds=1), succeed_at=3)
    root_id = harness.start(linear_tree(act))
    wait_for_final_failure(harness, act.id, failed_attempts=2)

    outputs = harness.outputs(act.id)
    assert outputs["ex_data"] == f"{FLAKY_MESSAGE} at attempt 2"
    assert outputs["seen_attempt"] == 2 and PENDING_KEY not in outputs
    assert harness.state_name(root_id) == "RUNNING"
    (row,) = histories(harness, act.id)
    assert row["outputs"]["ex_data"] == f"{FLAKY_MESSAGE} at attempt 1"
    # the node waits for an operator as any failed node: a manual retry starts at attempt 1 again
    assert_ok(api.retry_node(harness.runtime, act.id, data={"succeed_at": 1}))
    harness.wait_for_state(root_id, FINISHED)
    assert harness.outputs(act.id)["seen_attempt"] == 1


def test_retry_on_fail_does_not_retry_an_exception(harness):
    act = flaky(RetryPolicy(max_attempts=3, interval_seconds=1, retry_on="fail"), mode="raise")
    harness.start(linear_tree(act))
    harness.wait_for_state(act.id, FAILED)
    harness.run_until_idle()

    assert histories(harness, act.id) == []
    outputs = harness.outputs(act.id)
    assert PENDING_KEY not in outputs and f"{FLAKY_MESSAGE} at attempt 1" in outputs["ex_data"]


def test_retry_on_exception_retries_an_exception_only(harness):
    act = flaky(
        RetryPolicy(max_attempts=3, interval_seconds=1, retry_on="exception"), mode="raise", succeed_at=2
    )
    root_id = harness.start(linear_tree(act))
    harness.wait_for_state(root_id, FINISHED)
    assert len(histories(harness, act.id)) == 1

    returned_false = flaky(RetryPolicy(max_attempts=3, interval_seconds=1, retry_on="exception"))
    harness.start(linear_tree(returned_false))
    harness.wait_for_state(returned_false.id, FAILED)
    harness.run_until_idle()
    assert histories(harness, returned_false.id) == []


@pytest.mark.parametrize("resume_before_due", [True, False], ids=["resumed-before-due", "resumed-after"])
def test_pause_during_the_wait_cancels_the_retry_and_resume_does_not_run_it(harness, resume_before_due):
    act = flaky(RetryPolicy(max_attempts=3, interval_seconds=2), succeed_at=2)
    root_id = harness.start(linear_tree(act))
    harness.wait_for_state(act.id, FAILED)
    failed_version = harness.state(act.id).version

    assert_ok(api.pause_pipeline(harness.runtime, root_id))
    assert PENDING_KEY not in harness.outputs(act.id)
    if resume_before_due:
        assert_ok(api.resume_pipeline(harness.runtime, root_id))
    harness.advance(3)  # the cancelled retry falls due
    harness.run_until_idle()
    if not resume_before_due:
        assert_ok(api.resume_pipeline(harness.runtime, root_id))
        harness.run_until_idle()

    state = harness.state(act.id)
    assert state.name == FAILED and state.version == failed_version
    assert histories(harness, act.id) == []
    assert harness.state_name(root_id) == "RUNNING" and not harness.suspended_processes(root_id)
    # the node waits for an operator, as any failed node
    assert_ok(api.retry_node(harness.runtime, act.id))
    harness.wait_for_state(root_id, FINISHED)


def test_manual_retry_during_the_wait_cancels_the_automatic_one(harness):
    act = flaky(RetryPolicy(max_attempts=3, interval_seconds=2))
    root_id = harness.start(linear_tree(act))
    harness.wait_for_state(act.id, FAILED)

    assert_ok(api.retry_node(harness.runtime, act.id, data={"succeed_at": 1}))
    harness.wait_for_state(root_id, FINISHED)
    harness.run_until_idle()
    (row,) = histories(harness, act.id)  # the manual retry's only: the delayed message changed nothing
    assert row["inputs"]["_attempt"] == 1
    assert harness.state(act.id).retry == 1


def test_skip_during_the_wait_cancels_the_retry(harness):
    act = flaky(RetryPolicy(max_attempts=3, interval_seconds=2))
    after = activity("empty_node")
    root_id = harness.start(linear_tree(act, after))
    harness.wait_for_state(act.id, FAILED)

    assert_ok(api.skip_node(harness.runtime, act.id))
    harness.wait_for_state(root_id, FINISHED)
    harness.run_until_idle()
    state = harness.state(act.id)
    assert state.name == FINISHED and state.skip and state.retry == 0
    assert len(histories(harness, act.id)) == 1


def test_forced_fail_during_the_wait_cancels_the_retry(harness):
    act = flaky(RetryPolicy(max_attempts=3, interval_seconds=2), succeed_at=2)
    root_id = harness.start(linear_tree(act))
    harness.wait_for_state(act.id, FAILED)
    failed_version = harness.state(act.id).version

    assert_ok(api.forced_fail_activity(harness.runtime, act.id, ex_data="operator stop"))
    harness.run_until_idle()
    state = harness.state(act.id)
    assert state.name == FAILED and state.version == failed_version
    outputs = harness.outputs(act.id)
    assert outputs["ex_data"] == "operator stop" and PENDING_KEY not in outputs
    assert histories(harness, act.id) == []
    # a FAILED node without a pending retry is refused as before
    assert not api.forced_fail_activity(harness.runtime, act.id, ex_data="again").result
    assert_ok(api.retry_node(harness.runtime, act.id))
    harness.wait_for_state(root_id, FINISHED)


def test_revoke_during_the_wait_cancels_the_retry(harness):
    act = flaky(RetryPolicy(max_attempts=3, interval_seconds=2), succeed_at=2)
    root_id = harness.start(linear_tree(act))
    harness.wait_for_state(act.id, FAILED)

    assert_ok(api.revoke_pipeline(harness.runtime, root_id))
    harness.run_until_idle()
    harness.wait_until(lambda: histories(harness, act.id) == [] and harness.state_name(act.id) == FAILED)
    assert harness.state_name(root_id) == "REVOKED"
