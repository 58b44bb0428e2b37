"""The operator actions layer (``pipeline.eri.operations``): applied, refused with a status, always audited.

Pipelines run on the synchronous harness (captured messages, real task bodies); the HTTP front ends are
tested in tests/admin (admin repairs, console page) and tests/integration (the API on a real worker).
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.test import override_settings
from django.utils import timezone

from pipeline.eri.healing.healer import REDISPATCHED
from pipeline.eri.healing.rules import NEVER_STARTED
from pipeline.eri.models import HealingRecord, OperatorAction, Process, Schedule
from pipeline.eri.operations import catalog
from pipeline.eri.operations.actions import can_perform, perform
from pipeline.eri.operations.results import BAD_REQUEST, CONFLICT, NOT_FOUND, OK
from tests.contract import trees


def _audit(action: str) -> OperatorAction:
    return OperatorAction.objects.filter(action=action).latest("id")


def _age_heartbeats(seconds: float = 3600) -> None:
    Process.objects.update(last_heartbeat=timezone.now() - timedelta(seconds=seconds))


def test_retry_with_new_inputs_reruns_the_failed_node_and_records_who_did_it(harness):
    act = trees.activity("fail_node", should_fail=True)
    root = harness.start(trees.linear_tree(act))
    harness.run_until_idle()
    assert harness.state_name(act.id) == "FAILED"

    outcome = perform(
        catalog.NODE_RETRY, act.id, {"inputs": {"should_fail": False}}, operator="ops", source="admin"
    )
    harness.run_until_idle()

    assert (outcome.result, outcome.status, outcome.message) == (True, OK, "success")
    assert harness.state_name(root) == "FINISHED"
    assert harness.state(act.id).retry == 1
    record = _audit(catalog.NODE_RETRY)
    assert (record.operator, record.source, record.target_id, record.root_pipeline_id) == (
        "ops",
        "admin",
        act.id,
        root,
    )
    assert record.succeeded is True and record.finished_at is not None
    assert '"should_fail": false' in record.params


def test_an_action_in_the_wrong_state_is_refused_with_409_and_recorded_as_failed(harness):
    act = trees.activity("callback_node")
    root = harness.start(trees.linear_tree(act))
    harness.run_until_idle()

    outcome = perform(catalog.TASK_RESUME, root, operator="ops")

    assert (outcome.result, outcome.status) == (False, CONFLICT)
    assert "RUNNING" in outcome.message and root in outcome.message
    assert harness.state_name(root) == "RUNNING"
    record = _audit(catalog.TASK_RESUME)
    assert (record.succeeded, record.message) == (False, outcome.message)


def test_unknown_target_is_404_and_bad_parameters_are_400(harness):
    missing = perform(catalog.NODE_SKIP, "n" + "0" * 32)
    assert (missing.result, missing.status) == (False, NOT_FOUND)

    act = trees.activity("callback_node")
    harness.start(trees.linear_tree(act))
    harness.run_until_idle()
    for params in ({"data": "not an object"}, {"version": 3}):
        bad = perform(catalog.NODE_CALLBACK, act.id, params)
        assert (bad.result, bad.status) == (False, BAD_REQUEST), params
    assert perform(catalog.NODE_SKIP_EXG, act.id, {}).status == BAD_REQUEST  # flow_id is required
    assert perform(catalog.NODE_SKIP_CPG, act.id, {"flow_ids": "f1"}).status == BAD_REQUEST
    assert harness.state_name(act.id) == "RUNNING"
    assert perform("no_such_action", act.id).status == NOT_FOUND


def test_callback_without_a_version_uses_the_node_s_current_one(harness):
    act = trees.activity("callback_node")
    root = harness.start(trees.linear_tree(act))
    harness.run_until_idle()

    outcome = perform(catalog.NODE_CALLBACK, act.id, {"data": {"answer": 42}})
    harness.run_until_idle()

    assert outcome.result, outcome.message
    assert harness.state_name(root) == "FINISHED"


def test_forced_fail_names_the_operator_in_the_error(harness):
    act = trees.activity("callback_node")
    harness.start(trees.linear_tree(act))
    harness.run_until_idle()

    assert perform(catalog.NODE_FORCED_FAIL, act.id, operator="alice").result

    assert harness.state_name(act.id) == "FAILED"
    assert harness.outputs(act.id)["ex_data"] == "forced fail by alice"


def test_a_stuck_process_is_re_dispatched_through_the_healer_and_the_run_finishes(harness):
    root = harness.start(trees.linear_tree(trees.activity("empty_node")))
    harness.broker.ready.clear()  # the first execute message is lost
    process_id = Process.objects.get(root_pipeline_id=root).id

    fresh = perform(catalog.PROCESS_REDISPATCH, str(process_id), operator="ops")
    assert (fresh.result, fresh.status) == (False, CONFLICT)
    assert "may still be on it" in fresh.message

    _age_heartbeats()
    outcome = perform(catalog.PROCESS_REDISPATCH, str(process_id), operator="ops")
    harness.run_until_idle()

    assert outcome.result, outcome.message
    assert outcome.data["reason"] == NEVER_STARTED
    assert harness.state_name(root) == "FINISHED"
    record = HealingRecord.objects.get(root_pipeline_id=root)
    assert (record.action, record.reason, record.process_id) == (REDISPATCHED, NEVER_STARTED, process_id)
    assert '"operator": "ops"' in record.detail


def test_re_dispatch_is_refused_for_a_process_that_waits_for_a_callback(harness):
    root = harness.start(trees.linear_tree(trees.activity("callback_node")))
    harness.run_until_idle()
    _age_heartbeats()
    process_id = Process.objects.get(root_pipeline_id=root).id

    outcome = perform(catalog.PROCESS_REDISPATCH, str(process_id))

    assert (outcome.result, outcome.status) == (False, CONFLICT)
    assert "is not stuck" in outcome.message
    assert not HealingRecord.objects.exists() and not harness.broker.ready
    assert perform(catalog.PROCESS_REDISPATCH, "not-a-number").status == BAD_REQUEST
    assert perform(catalog.PROCESS_REDISPATCH, "987654").status == NOT_FOUND


@override_settings(BAMBOO_HEALING_STALE_SECONDS=0)
def test_re_dispatch_is_refused_once_the_pipeline_is_finished(harness):
    root = harness.run_to_end(trees.linear_tree(trees.activity("empty_node")))
    process_id = Process.objects.get(root_pipeline_id=root).id

    outcome = perform(catalog.PROCESS_REDISPATCH, str(process_id))

    assert (outcome.result, outcome.status) == (False, CONFLICT)
    assert "dead" in outcome.message or "FINISHED" in outcome.message


def test_a_schedule_lock_is_released_once(harness):
    act = trees.activity("callback_node")
    harness.start(trees.linear_tree(act))
    harness.run_until_idle()
    schedule = Schedule.objects.get(node_id=act.id)
    assert harness.runtime.apply_schedule_lock(schedule.id)  # a callback that died holding the lock

    released = perform(catalog.NODE_RELEASE_SCHEDULE_LOCK, act.id)
    again = perform(catalog.NODE_RELEASE_SCHEDULE_LOCK, act.id)

    assert released.result, released.message
    assert not Schedule.objects.get(id=schedule.id).scheduling
    assert (again.result, again.status) == (False, CONFLICT)
    # The node can be called back again now.
    assert perform(catalog.NODE_CALLBACK, act.id, {"data": {}}).result
    harness.run_until_idle()
    assert harness.state_name(act.id) == "FINISHED"


@pytest.mark.parametrize(
    ("is_staff", "is_active", "granted", "expected"),
    [
        (True, True, True, True),
        (True, True, False, False),
        (False, True, True, False),
        (True, False, True, False),
    ],
)
def test_the_default_rule_needs_an_active_staff_user_with_the_action_permission(
    db, is_staff, is_active, granted, expected
):
    user = User.objects.create_user("someone", is_staff=is_staff, is_active=is_active)
    if granted:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="eri", codename="node_retry")
        )
    user = User.objects.get(id=user.id)  # a fresh permission cache
    assert can_perform(user, catalog.NODE_RETRY) is expected
    assert can_perform(user, catalog.NODE_SKIP) is False


def test_every_action_has_its_permission_and_a_handler(db):
    from pipeline.eri.operations.actions import HANDLERS

    codenames = set(
        Permission.objects.filter(content_type__app_label="eri").values_list("codename", flat=True)
    )
    assert {spec.name for spec in catalog.ACTIONS} <= codenames
    assert set(HANDLERS) == set(catalog.BY_NAME)
