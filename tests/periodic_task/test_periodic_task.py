"""Periodic tasks: creation through the api (checked cron and tree, beat row), starts, failures, admin."""

import pytest
from django.test import override_settings
from django_celery_beat.models import PeriodicTask as BeatTask

from bamboo_engine.builder import Data
from bamboo_engine.exceptions import TreeInvalidException
from pipeline.contrib.periodic_task import api, signals
from pipeline.contrib.periodic_task.models import (
    BAMBOO_ENGINE_TRIGGER_TASK,
    PeriodicTask,
    PeriodicTaskHistory,
)
from pipeline.contrib.periodic_task.tasks import bamboo_engine_periodic_task_start
from pipeline.eri.models import State
from pipeline.eri.runtime import BambooDjangoRuntime
from pipeline.exceptions import InvalidCrontabException, InvalidOperationException
from tests.contract import trees
from tests.periodic_task import providers

pytestmark = pytest.mark.django_db(transaction=True)


def _tree():
    return trees.linear_tree(trees.activity("debug_node"))


def _create(**kwargs):
    options = {"name": "nightly", "pipeline_tree": _tree(), "cron": {"minute": "*/1"}, "creator": "ops"}
    options.update(kwargs)
    result = api.create_periodic_task(**options)
    assert result.result, result.exc_trace
    return PeriodicTask.objects.select_related("celery_task").get(id=result.data)


class _Receiver:
    def __init__(self, signal):
        self.calls = []
        signal.connect(self, weak=False)
        self.signal = signal

    def __call__(self, sender, **kwargs):
        self.calls.append(kwargs)

    def close(self):
        self.signal.disconnect(self)


@pytest.fixture
def received():
    receivers = {
        "pre": _Receiver(signals.pre_periodic_task_start),
        "post": _Receiver(signals.post_periodic_task_start),
        "failed": _Receiver(signals.periodic_task_start_failed),
    }
    yield receivers
    for receiver in receivers.values():
        receiver.close()


def test_create_stores_task_and_beat_schedule():
    task = _create(cron={"minute": "*/1", "hour": "3-5"}, queue="pt", priority=7)
    assert task.cron == "*/1 3-5 * * *"
    assert task.enabled and task.queue == "pt" and task.priority == 7 and task.total_run_count == 0
    beat = task.celery_task
    assert beat.task == BAMBOO_ENGINE_TRIGGER_TASK == bamboo_engine_periodic_task_start.name
    assert beat.kwargs == f'{{"period_task_id": {task.id}}}'
    assert (beat.crontab.minute, beat.crontab.hour, beat.crontab.day_of_week) == ("*/1", "3-5", "*")
    assert beat.queue is None


def test_create_accepts_a_five_field_string_and_the_start_queue_setting():
    with override_settings(BAMBOO_PERIODIC_TASK_START_QUEUE="periodic_starts"):
        task = _create(cron="0 2 1 * mon")
    assert task.cron == "0 2 1 * mon"
    crontab = task.celery_task.crontab
    assert (crontab.day_of_month, crontab.day_of_week) == ("1", "mon")
    assert task.celery_task.queue == "periodic_starts"


@pytest.mark.parametrize("cron", [{"minute": "61"}, {"minutes": "*"}, "* * *", 5, {"day_of_week": "someday"}])
def test_invalid_cron_is_refused_and_nothing_is_stored(cron):
    result = api.create_periodic_task(name="bad", pipeline_tree=_tree(), cron=cron)
    assert not result.result
    assert isinstance(result.exc, InvalidCrontabException)
    assert (
        not PeriodicTask.objects.exists()
        and not BeatTask.objects.filter(task=BAMBOO_ENGINE_TRIGGER_TASK).exists()
    )


def test_invalid_tree_is_refused_and_nothing_is_stored():
    tree = _tree()
    tree["flows"].popitem()
    result = api.create_periodic_task(name="bad", pipeline_tree=tree, cron={"minute": "0"})
    assert not result.result and isinstance(result.exc, TreeInvalidException)
    assert not PeriodicTask.objects.exists()


def test_each_start_runs_a_fresh_copy_and_counts(eager, received):
    task = _create(root_pipeline_data={"owner": "ops"})
    bamboo_engine_periodic_task_start(period_task_id=task.id)
    bamboo_engine_periodic_task_start(period_task_id=task.id)

    histories = list(PeriodicTaskHistory.objects.filter(periodic_task=task).order_by("id"))
    assert [h.start_success for h in histories] == [True, True]
    root_ids = [h.root_pipeline_id for h in histories]
    assert len(set(root_ids)) == 2 and task.pipeline_tree["id"] not in root_ids
    runtime = BambooDjangoRuntime()
    assert [runtime.get_state(root_id).name for root_id in root_ids] == ["FINISHED", "FINISHED"]
    # The stored snapshot is never started itself.
    assert not State.objects.filter(node_id=task.pipeline_tree["id"]).exists()

    task.refresh_from_db()
    assert task.total_run_count == 2 and task.last_run_at is not None
    assert [call["pipeline_instance"].instance_id for call in received["pre"].calls] == root_ids
    assert [call["root_pipeline_id"] for call in received["post"].calls] == root_ids
    assert received["failed"].calls == []
    assert histories[0].queue == task.queue and histories[0].priority == task.priority


def test_context_providers_get_the_root_pipeline_data(eager):
    providers.SEEN.clear()
    task = _create(root_pipeline_data={"owner": "ops"})
    with override_settings(
        BAMBOO_PERIODIC_TASK_ROOT_PIPELINE_CONTEXT_PROVIER="tests.periodic_task.providers.root_context",
        BAMBOO_PERIODIC_TASK_SUBPROCESS_CONTEXT_PROVIER="tests.periodic_task.providers.subprocess_context",
    ):
        history = (
            bamboo_engine_periodic_task_start(period_task_id=task.id) or PeriodicTaskHistory.objects.get()
        )
    assert providers.SEEN == [("root", {"owner": "ops"}), ("subprocess", {"owner": "ops"})]
    values = BambooDjangoRuntime().get_context_values(history.root_pipeline_id, {"${provided_by}"})
    assert [v.value for v in values] == ["root provider for ops"]


def test_a_failed_start_is_recorded_and_nothing_else_happens(eager, received):
    task = _create()
    states_before = State.objects.count()
    with override_settings(
        BAMBOO_PERIODIC_TASK_ROOT_PIPELINE_CONTEXT_PROVIER="tests.periodic_task.nowhere.f"
    ):
        bamboo_engine_periodic_task_start(period_task_id=task.id)

    history = PeriodicTaskHistory.objects.get(periodic_task=task)
    assert not history.start_success and history.root_pipeline_id == ""
    assert "tests.periodic_task.nowhere" in history.ex_data
    assert [call["history"].id for call in received["failed"].calls] == [history.id]
    assert received["post"].calls == [] and received["pre"].calls == []
    task.refresh_from_db()
    assert task.total_run_count == 0 and task.last_run_at is None
    assert State.objects.count() == states_before


def test_a_pre_receiver_that_raises_fails_the_start(eager, received):
    task = _create()

    def refuse(sender, **kwargs):
        raise RuntimeError("maintenance window")

    signals.pre_periodic_task_start.connect(refuse)
    try:
        bamboo_engine_periodic_task_start(period_task_id=task.id)
    finally:
        signals.pre_periodic_task_start.disconnect(refuse)
    history = PeriodicTaskHistory.objects.get(periodic_task=task)
    assert not history.start_success and "maintenance window" in history.ex_data
    assert len(received["failed"].calls) == 1 and received["post"].calls == []


def test_a_deleted_task_starts_nothing(eager):
    task = _create()
    beat_id = task.celery_task_id
    assert api.delete_periodic_task(task.id).result
    assert not BeatTask.objects.filter(id=beat_id).exists()
    bamboo_engine_periodic_task_start(period_task_id=task.id)
    assert not PeriodicTaskHistory.objects.exists()


def test_enable_disable_and_changes_refused_while_enabled():
    task = _create()
    refused = api.modify_periodic_task_cron(task.id, {"minute": "5"})
    assert not refused.result and isinstance(refused.exc, InvalidOperationException)
    with pytest.raises(InvalidOperationException):
        task.modify_constants({"${x}": 1})

    assert api.set_periodic_task_enabled(task.id, False).result
    task.refresh_from_db()
    task.celery_task.refresh_from_db()
    assert not task.enabled
    changed = api.modify_periodic_task_cron(task.id, "5 4 * * *", timezone="Asia/Shanghai")
    assert changed.result and changed.data == "5 4 * * *"
    task.celery_task.refresh_from_db()
    assert (task.celery_task.crontab.minute, str(task.celery_task.crontab.timezone)) == ("5", "Asia/Shanghai")


def test_modify_constants_sets_existing_root_inputs_only():
    tree = trees.linear_tree(trees.activity("debug_node"), data=Data(inputs={"${x}": trees.plain(1)}))
    task = _create(pipeline_tree=tree, enabled=False)
    assert task.modify_constants({"${x}": 2})["${x}"]["value"] == 2
    task.refresh_from_db()
    assert task.pipeline_tree["data"]["inputs"]["${x}"]["value"] == 2
    with pytest.raises(InvalidOperationException, match=r"\$\{y\}"):
        task.modify_constants({"${y}": 3})
