"""Contract: what a schedule that failed its node leaves behind, and what a later callback does with it.

A schedule whose ``schedule()`` fails the node (not error-ignored) is not finished: its lock is given
back and the row stays ``finished=False, expired=False``. A later callback for that node version is
therefore accepted; its message finds the node no longer RUNNING and expires the schedule without
calling the service.
"""

import pytest

from bamboo_engine import api
from bamboo_engine.exceptions import InvalidOperationError
from tests.contract.harness import assert_ok, assert_rejected
from tests.contract.services import FAIL_MESSAGE
from tests.contract.trees import activity, linear_tree

pytestmark = pytest.mark.contract

FINISHED, FAILED, RUNNING = "FINISHED", "FAILED", "RUNNING"


def schedule_row(harness, node_id, version):
    """``(finished, expired, times)`` of the node's schedule for ``version``."""
    schedule = harness.runtime.get_schedule_with_node_and_version(node_id, version)
    return schedule.finished, schedule.expired, schedule.times


def failed_by_callback(harness, code, **inputs):
    """Run ``start → code → end`` and fail the node with a ``{"ok": False}`` callback."""
    node = activity(code, **inputs)
    root_id = harness.start(linear_tree(node))
    version = harness.wait_callback_ready(node.id)
    assert_ok(api.callback(harness.runtime, node.id, version, {"n": 1, "ok": False}))
    harness.wait_for_state(node.id, FAILED)
    harness.run_until_idle()
    return root_id, node, version


@pytest.mark.parametrize("code", ["callback_node", "multi_callback_node"])
def test_a_failed_schedule_stays_unfinished_and_unexpired(harness, code):
    root_id, node, version = failed_by_callback(harness, code)

    assert schedule_row(harness, node.id, version) == (False, False, 1)
    assert harness.outputs(node.id)["ex_data"] == FAIL_MESSAGE
    assert harness.state(node.id).version == version
    assert harness.state_name(root_id) == RUNNING


@pytest.mark.parametrize("code", ["callback_node", "multi_callback_node"])
def test_a_later_callback_is_accepted_and_expires_the_failed_schedule(harness, code):
    root_id, node, version = failed_by_callback(harness, code)
    outputs = harness.outputs(node.id)

    assert_ok(api.callback(harness.runtime, node.id, version, {"n": 2}))
    harness.wait_until(
        lambda: schedule_row(harness, node.id, version)[1], description="the failed schedule expired"
    )
    harness.run_until_idle()

    assert schedule_row(harness, node.id, version) == (False, True, 1)  # the service was not called
    assert harness.outputs(node.id) == outputs
    assert harness.state_name(node.id) == FAILED
    assert_rejected(
        api.callback(harness.runtime, node.id, version, {"n": 3}), InvalidOperationError, "expired"
    )


def test_two_multiple_callbacks_back_to_back_where_the_first_fails(harness):
    # Both fail, so whichever message takes the lock first is "the first": the order cannot matter.
    node = activity("multi_callback_node", expected=2)
    harness.start(linear_tree(node))
    version = harness.wait_callback_ready(node.id)

    for n in (1, 2):
        assert_ok(api.callback(harness.runtime, node.id, version, {"n": n, "ok": False}))
    harness.wait_until(
        lambda: schedule_row(harness, node.id, version)[1], timeout=60, description="schedule expired"
    )
    harness.run_until_idle()

    assert schedule_row(harness, node.id, version) == (False, True, 1)
    assert harness.state_name(node.id) == FAILED
    assert len(harness.outputs(node.id)["received"]) == 1


def test_a_failed_poll_leaves_its_schedule_unfinished(harness):
    poll = activity("poll_node", on_poll="fail")
    harness.start(linear_tree(poll))
    state = harness.wait_for_state(poll.id, FAILED)
    harness.run_until_idle()

    assert schedule_row(harness, poll.id, state.version) == (False, False, 1)
    assert harness.outputs(poll.id)["ex_data"] == FAIL_MESSAGE


def test_an_error_ignored_failed_schedule_is_finished(harness):
    node = activity("callback_node")
    node.error_ignorable = True
    root_id = harness.start(linear_tree(node))
    version = harness.wait_callback_ready(node.id)

    assert_ok(api.callback(harness.runtime, node.id, version, {"ok": False}))
    harness.wait_for_state(root_id, FINISHED)

    assert schedule_row(harness, node.id, version) == (True, False, 1)


def test_a_retried_node_schedules_afresh_beside_its_old_unfinished_schedule(harness):
    root_id, node, old_version = failed_by_callback(harness, "callback_node")

    assert_ok(api.retry_node(harness.runtime, node.id))
    version = harness.wait_callback_ready(node.id)
    assert version != old_version
    assert schedule_row(harness, node.id, old_version) == (False, False, 1)
    # the old run's schedule takes no callback: quoting it is refused and retires that schedule
    assert_rejected(
        api.callback(harness.runtime, node.id, old_version, {}),
        InvalidOperationError,
        f"node version {old_version} not exist",
    )
    assert schedule_row(harness, node.id, old_version) == (False, True, 1)

    harness.callback(node.id, {"answer": 42})
    harness.wait_for_state(root_id, FINISHED)

    assert schedule_row(harness, node.id, version) == (True, False, 1)
    assert harness.outputs(node.id)["answer"] == 42
