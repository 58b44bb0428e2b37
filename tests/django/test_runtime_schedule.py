"""ScheduleMixin of the Django runtime: schedule rows and the ``scheduling`` lock."""

import pytest

from bamboo_engine import api
from bamboo_engine.eri.models.runtime import ScheduleType
from bamboo_engine.exceptions import NotFoundError
from pipeline.eri.models import Schedule as ScheduleModel
from pipeline.eri.runtime import BambooDjangoRuntime
from tests.contract import trees
from tests.django.threads import run_concurrently


def test_set_schedule_is_idempotent_per_node_version(runtime):
    first = runtime.set_schedule(1, "node", "v1", ScheduleType.POLL)
    again = runtime.set_schedule(1, "node", "v1", ScheduleType.POLL)
    other = runtime.set_schedule(1, "node", "v2", ScheduleType.CALLBACK)
    assert first.id == again.id != other.id
    assert (first.type, first.finished, first.expired, first.times) == (ScheduleType.POLL, False, False, 0)
    assert runtime.get_schedule_with_node_and_version("node", "v2").type == ScheduleType.CALLBACK
    assert runtime.get_schedule(str(first.id)).version == "v1"
    with pytest.raises(NotFoundError):
        runtime.get_schedule(first.id + 100)


def test_lock_is_exclusive_until_released(runtime):
    schedule = runtime.set_schedule(1, "node", "v1", ScheduleType.POLL)
    assert runtime.apply_schedule_lock(schedule.id) is True
    assert runtime.apply_schedule_lock(schedule.id) is False
    runtime.release_schedule_lock(schedule.id)
    assert runtime.apply_schedule_lock_with_times(schedule.id, 1) is False  # never ran yet
    assert runtime.apply_schedule_lock_with_times(schedule.id, 0) is True
    runtime.add_schedule_times(schedule.id)
    runtime.finish_schedule(schedule.id)
    runtime.release_schedule_lock(schedule.id)
    runtime.expire_schedule(schedule.id)
    row = ScheduleModel.objects.get(id=schedule.id)
    assert (row.finished, row.scheduling, row.expired, row.schedule_times) == (True, False, True, 1)


def test_concurrent_lock_has_one_winner(transactional_db):
    schedule = BambooDjangoRuntime().set_schedule(1, "node", "v1", ScheduleType.MULTIPLE_CALLBACK)
    results = run_concurrently(lambda _: BambooDjangoRuntime().apply_schedule_lock(schedule.id), 6)
    assert sorted(results) == [False] * 5 + [True]


def test_finished_poll_schedule_rows(harness):
    act = trees.activity("poll_node", polls=3)
    harness.run_to_end(trees.linear_tree(act))
    row = ScheduleModel.objects.get(node_id=act.id)
    assert (row.finished, row.scheduling, row.expired, row.schedule_times) == (True, False, False, 3)
    assert row.type == ScheduleType.POLL.value
    assert harness.outputs(act.id)["count"] == 3


def test_multiple_callbacks_finish_the_schedule(harness):
    act = trees.activity("multi_callback_node", expected=2)
    root = harness.start(trees.linear_tree(act))
    for n in (1, 2):
        harness.callback(act.id, {"n": n})
        harness.run_until_idle()
    harness.wait_for_state(root, "FINISHED")
    row = ScheduleModel.objects.get(node_id=act.id)
    assert (row.finished, row.scheduling, row.expired, row.schedule_times) == (True, False, False, 2)
    assert harness.outputs(act.id)["received"] == [1, 2]


def test_stale_poll_after_forced_fail_expires_the_schedule(harness):
    act = trees.activity("poll_forever_node")
    harness.start(trees.linear_tree(act))
    harness.wait_for_state(act.id, "RUNNING")
    while not ScheduleModel.objects.filter(node_id=act.id).exists():
        assert harness._pump(0), "the schedule was never created"
    assert api.forced_fail_activity(harness.runtime, act.id, "stop").result
    harness.run_until_idle()
    row = ScheduleModel.objects.get(node_id=act.id)
    assert (row.expired, row.scheduling) == (True, False)
    assert not harness.broker.delayed and not harness.broker.ready
