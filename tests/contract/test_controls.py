"""Contract: pipeline/node pause-resume, revoke, callbacks and forced failure (api.md control table).

Each operation is exercised where it is allowed and where it is not; a refused operation returns
``result=False`` with a typed exception and changes nothing.
"""

import pytest

from bamboo_engine import api
from bamboo_engine.builder import ConvergeGateway, EmptyEndEvent, EmptyStartEvent, ParallelGateway, build_tree
from bamboo_engine.exceptions import EngineException, InvalidOperationError, NotFoundError
from tests.contract.harness import assert_ok, assert_rejected
from tests.contract.services import FAIL_MESSAGE
from tests.contract.trees import activity, all_node_ids, linear_tree, subprocess

pytestmark = pytest.mark.contract

FINISHED, FAILED, RUNNING = "FINISHED", "FAILED", "RUNNING"
SUSPENDED, REVOKED = "SUSPENDED", "REVOKED"
MISSING_ID = "p" + "f" * 32


def callback_then(harness, *after):
    """``start → callback_node → after... → end``; returns (root_id, callback node)."""
    cb = activity("callback_node")
    root_id = harness.start(linear_tree(cb, *after))
    harness.wait_callback_ready(cb.id)
    return root_id, cb


# ------------------------------------------------------------------------------ pause pipeline
def test_pause_and_resume_pipeline(harness):
    after = activity("empty_node")
    root_id, cb = callback_then(harness, after)

    assert_ok(api.pause_pipeline(harness.runtime, root_id))
    assert harness.state_name(root_id) == SUSPENDED
    harness.callback(cb.id, {})
    harness.wait_until(lambda: harness.suspended_processes(root_id), description="process suspended by root")
    harness.run_until_idle()

    assert harness.state_name(cb.id) == FINISHED
    assert harness.state(after.id) is None
    assert harness.state_name(root_id) == SUSPENDED

    assert_ok(api.resume_pipeline(harness.runtime, root_id))
    harness.wait_for_state(root_id, FINISHED)
    assert harness.state_name(after.id) == FINISHED


def test_pause_pipeline_with_nested_parallels(harness):
    cb_1, cb_2, cb_3 = (activity("callback_node") for _ in range(3))
    after = activity("empty_node")
    start, end = EmptyStartEvent(), EmptyEndEvent()
    pg_outer, pg_inner = ParallelGateway(), ParallelGateway()
    cg_outer, cg_inner = ConvergeGateway(), ConvergeGateway()
    pg_inner.connect(cb_1, cb_2).converge(cg_inner)
    start.extend(pg_outer).connect(pg_inner, cb_3).converge(cg_outer).extend(after).extend(end)
    tree = build_tree(start)
    root_id = harness.start(tree)
    for cb in (cb_1, cb_2, cb_3):
        harness.wait_callback_ready(cb.id)

    assert_ok(api.pause_pipeline(harness.runtime, root_id))
    for cb in (cb_1, cb_2, cb_3):
        harness.callback(cb.id, {})
    harness.wait_until(
        lambda: harness.suspended_processes(root_id), description="a process suspended by root"
    )
    harness.run_until_idle()

    assert {harness.state_name(cb.id) for cb in (cb_1, cb_2, cb_3)} == {FINISHED}
    assert harness.state(after.id) is None
    assert harness.state_name(root_id) == SUSPENDED

    assert_ok(api.resume_pipeline(harness.runtime, root_id))
    harness.wait_for_state(root_id, FINISHED)
    assert {harness.state_name(node_id) for node_id in all_node_ids(tree)} == {FINISHED}


@pytest.mark.parametrize("paused", ["sub", "root"])
def test_pause_and_resume_while_inside_a_subprocess(harness, paused):
    cb, inner_after, after = activity("callback_node"), activity("empty_node"), activity("empty_node")
    sub = subprocess(cb, inner_after)
    root_id = harness.start(linear_tree(sub, after))
    harness.wait_callback_ready(cb.id)
    paused_id = sub.id if paused == "sub" else root_id

    assert_ok(api.pause_pipeline(harness.runtime, paused_id))
    assert harness.state_name(paused_id) == SUSPENDED
    assert harness.state_name(root_id if paused == "sub" else sub.id) == RUNNING
    harness.callback(cb.id, {})
    harness.wait_until(lambda: harness.suspended_processes(paused_id), description="process suspended")
    harness.run_until_idle()
    assert harness.state(inner_after.id) is None

    assert_ok(api.resume_pipeline(harness.runtime, paused_id))
    harness.wait_for_state(root_id, FINISHED)
    assert harness.state_name(inner_after.id) == harness.state_name(after.id) == FINISHED


def test_resume_before_any_process_suspended(harness):
    after = activity("empty_node")
    root_id, cb = callback_then(harness, after)

    assert_ok(api.pause_pipeline(harness.runtime, root_id))
    assert_ok(api.resume_pipeline(harness.runtime, root_id))
    harness.callback(cb.id, {})

    harness.wait_for_state(root_id, FINISHED)
    assert harness.state_name(after.id) == FINISHED


@pytest.mark.parametrize("operation", ["pause_pipeline", "revoke_pipeline"])
def test_pause_or_revoke_a_finished_pipeline_is_refused(harness, operation):
    root_id = harness.run_to_end(linear_tree(activity("empty_node")))
    before = harness.snapshot(root_id)

    result = getattr(api, operation)(harness.runtime, root_id)

    assert result.result is False and isinstance(result.exc, Exception)
    assert harness.snapshot(root_id) == before


def test_resume_a_running_pipeline_is_refused(harness):
    root_id, cb = callback_then(harness)
    before = harness.snapshot(root_id)

    assert_rejected(api.resume_pipeline(harness.runtime, root_id), InvalidOperationError)

    assert harness.snapshot(root_id) == before


@pytest.mark.parametrize("operation", ["pause_pipeline", "revoke_pipeline", "resume_pipeline"])
def test_pipeline_operations_on_an_unknown_id_are_refused(harness, operation):
    result = getattr(api, operation)(harness.runtime, MISSING_ID)

    assert result.result is False and isinstance(result.exc, EngineException)
    if operation != "resume_pipeline":
        assert_rejected(result, NotFoundError, f"node({MISSING_ID}) does not exist")


# ------------------------------------------------------------------------------------- revoke
def test_revoke_pipeline_mid_run(harness):
    after = activity("empty_node")
    root_id, cb = callback_then(harness, after)

    assert_ok(api.revoke_pipeline(harness.runtime, root_id))
    root = harness.state(root_id)
    assert root.name == REVOKED and root.archived_time is not None
    api.callback(harness.runtime, cb.id, harness.state(cb.id).version, {})  # may or may not be accepted
    harness.run_until_idle()

    assert harness.state(after.id) is None
    assert harness.state_name(root_id) == REVOKED


def test_revoke_kills_every_branch(harness):
    cb_1, cb_2 = activity("callback_node"), activity("callback_node")
    after = activity("empty_node")
    start, end = EmptyStartEvent(), EmptyEndEvent()
    pg, cg = ParallelGateway(), ConvergeGateway()
    start.extend(pg).connect(cb_1, cb_2).converge(cg).extend(after).extend(end)
    root_id = harness.start(build_tree(start))
    for cb in (cb_1, cb_2):
        harness.wait_callback_ready(cb.id)

    assert_ok(api.revoke_pipeline(harness.runtime, root_id))
    for cb in (cb_1, cb_2):
        api.callback(harness.runtime, cb.id, harness.state(cb.id).version, {})  # may or may not be accepted
    harness.run_until_idle()

    assert harness.state(cg.id) is None and harness.state(after.id) is None
    assert harness.state_name(root_id) == REVOKED


def test_revoke_a_paused_pipeline(harness):
    root_id, cb = callback_then(harness, activity("empty_node"))
    assert_ok(api.pause_pipeline(harness.runtime, root_id))

    assert_ok(api.revoke_pipeline(harness.runtime, root_id))

    assert harness.state_name(root_id) == REVOKED
    assert_rejected(api.resume_pipeline(harness.runtime, root_id), InvalidOperationError)


# ---------------------------------------------------------------------------- node appointment
def test_pause_and_resume_node_appointment(harness):
    target = activity("empty_node")
    root_id, cb = callback_then(harness, target)

    assert_ok(api.pause_node_appoint(harness.runtime, target.id))
    assert harness.state_name(target.id) == SUSPENDED
    harness.callback(cb.id, {})
    harness.wait_until(
        lambda: harness.suspended_processes(target.id), description="process suspended by node"
    )
    harness.run_until_idle()
    state = harness.state(target.id)
    assert state.name == SUSPENDED and state.root_id == root_id and state.parent_id == root_id
    assert harness.state_name(root_id) == RUNNING

    assert_ok(api.resume_node_appoint(harness.runtime, target.id))
    harness.wait_for_state(root_id, FINISHED)
    assert harness.state_name(target.id) == FINISHED


def test_resume_node_appointment_before_the_process_arrives(harness):
    target = activity("empty_node")
    root_id, cb = callback_then(harness, target)

    assert_ok(api.pause_node_appoint(harness.runtime, target.id))
    assert_ok(api.resume_node_appoint(harness.runtime, target.id))
    assert harness.state_name(target.id) == "READY"
    harness.callback(cb.id, {})

    harness.wait_for_state(root_id, FINISHED)
    assert harness.state_name(target.id) == FINISHED


@pytest.mark.parametrize("operation", ["pause_node_appoint", "resume_node_appoint"])
def test_node_appointment_on_an_unknown_node_is_refused(harness, operation):
    result = getattr(api, operation)(harness.runtime, "e" + "0" * 32)

    assert result.result is False and isinstance(result.exc, EngineException)
    assert harness.state("e" + "0" * 32) is None


@pytest.mark.parametrize("operation", ["pause_node_appoint", "resume_node_appoint"])
def test_node_appointment_on_a_subprocess_is_refused(harness, operation):
    cb = activity("callback_node")
    sub = subprocess(cb)
    harness.start(linear_tree(sub))
    harness.wait_callback_ready(cb.id)
    before = harness.snapshot(sub.id)

    assert_rejected(getattr(api, operation)(harness.runtime, sub.id), InvalidOperationError)

    assert harness.snapshot(sub.id) == before


# ---------------------------------------------------------------------------------- callbacks
def test_single_callback_finishes_the_node(harness):
    root_id, cb = callback_then(harness)

    harness.callback(cb.id, {"answer": 42})
    harness.wait_for_state(root_id, FINISHED)

    assert harness.state_name(cb.id) == FINISHED
    assert harness.outputs(cb.id)["answer"] == 42


def test_failing_callback_fails_the_node(harness):
    root_id, cb = callback_then(harness)

    harness.callback(cb.id, {"ok": False})
    harness.wait_for_state(cb.id, FAILED)

    assert harness.outputs(cb.id)["ex_data"] == FAIL_MESSAGE
    assert harness.state_name(root_id) == RUNNING


def test_multiple_callbacks_finish_after_the_expected_count(harness):
    multi = activity("multi_callback_node", expected=3)
    root_id = harness.start(linear_tree(multi))

    for n in (1, 2):
        harness.callback(multi.id, {"n": n})
        harness.wait_until(lambda n=n: len(harness.outputs(multi.id).get("received", [])) == n)
    harness.run_until_idle()
    assert harness.state_name(multi.id) == RUNNING

    harness.callback(multi.id, {"n": 3})
    harness.wait_for_state(root_id, FINISHED)
    assert sorted(harness.outputs(multi.id)["received"]) == [1, 2, 3]


def test_multiple_callbacks_sent_at_once_are_all_applied(harness):
    multi = activity("multi_callback_node", expected=3)
    root_id = harness.start(linear_tree(multi))
    version = harness.wait_callback_ready(multi.id)

    for n in (1, 2, 3):
        assert_ok(api.callback(harness.runtime, multi.id, version, {"n": n}))
    harness.wait_for_state(root_id, FINISHED, timeout=60)

    assert sorted(harness.outputs(multi.id)["received"]) == [1, 2, 3]


def test_callback_with_an_unknown_version_is_refused(harness):
    root_id, cb = callback_then(harness)
    before = harness.snapshot(cb.id)

    result = api.callback(harness.runtime, cb.id, "v" + "0" * 32, {})

    assert result.result is False and isinstance(result.exc, EngineException)
    harness.run_until_idle()
    assert harness.snapshot(cb.id) == before
    harness.callback(cb.id, {})
    harness.wait_for_state(root_id, FINISHED)


def test_callback_with_a_stale_version_is_refused(harness):
    root_id, cb = callback_then(harness)
    stale = harness.state(cb.id).version
    harness.callback(cb.id, {"ok": False})
    harness.wait_for_state(cb.id, FAILED)
    assert_ok(api.retry_node(harness.runtime, cb.id))
    current = harness.wait_callback_ready(cb.id)
    before = harness.snapshot(cb.id)

    result = api.callback(harness.runtime, cb.id, stale, {})

    assert current != stale
    assert_rejected(result, InvalidOperationError, f"node version {stale} not exist")
    harness.run_until_idle()
    assert harness.snapshot(cb.id) == before
    harness.callback(cb.id, {"answer": 1})
    harness.wait_for_state(root_id, FINISHED)
    assert harness.outputs(cb.id)["answer"] == 1


def test_callback_on_a_finished_node_is_refused(harness):
    root_id, cb = callback_then(harness)
    harness.callback(cb.id, {})
    harness.wait_for_state(root_id, FINISHED)
    before = harness.snapshot(cb.id)

    result = api.callback(harness.runtime, cb.id, before[1], {})

    assert result.result is False and isinstance(result.exc, EngineException)
    assert harness.snapshot(cb.id) == before


# --------------------------------------------------------------------------------- forced fail
def test_forced_fail_of_a_polling_node(harness):
    poll, after = activity("poll_forever_node"), activity("empty_node")
    root_id = harness.start(linear_tree(poll, after))
    old_version = harness.wait_for_state(poll.id, RUNNING).version

    assert_ok(api.forced_fail_activity(harness.runtime, poll.id, "forced by contract"))

    state = harness.state(poll.id)
    assert state.name == FAILED and state.version != old_version and state.archived_time is not None
    outputs = harness.outputs(poll.id)
    assert outputs["ex_data"] == "forced by contract" and outputs["_forced_failed"] is True
    harness.advance(2)
    harness.run_until_idle()
    assert harness.state_name(poll.id) == FAILED
    assert harness.state(after.id) is None

    assert_ok(api.skip_node(harness.runtime, poll.id))
    harness.wait_for_state(root_id, FINISHED)


def test_forced_fail_of_a_finished_node_is_refused(harness):
    act = activity("empty_node")
    harness.run_to_end(linear_tree(act))
    before = harness.snapshot(act.id)

    assert_rejected(api.forced_fail_activity(harness.runtime, act.id, "nope"), InvalidOperationError)

    assert harness.snapshot(act.id) == before
    assert "_forced_failed" not in harness.outputs(act.id)


def test_forced_fail_of_a_gateway_is_refused(harness):
    cb = activity("callback_node")
    start, end = EmptyStartEvent(), EmptyEndEvent()
    pg, cg = ParallelGateway(), ConvergeGateway()
    start.extend(pg).connect(cb, activity("empty_node")).converge(cg).extend(end)
    harness.start(build_tree(start))
    harness.wait_callback_ready(cb.id)
    before = harness.snapshot(pg.id)

    result = api.forced_fail_activity(harness.runtime, pg.id, "nope")

    assert result.result is False and isinstance(result.exc, EngineException)
    assert harness.snapshot(pg.id) == before


def test_retry_and_skip_of_a_running_node_are_refused(harness):
    root_id, cb = callback_then(harness)
    before = harness.snapshot(cb.id)

    assert_rejected(api.retry_node(harness.runtime, cb.id), InvalidOperationError, "state is not FAILED")
    assert_rejected(api.skip_node(harness.runtime, cb.id), InvalidOperationError)

    assert harness.snapshot(cb.id) == before
