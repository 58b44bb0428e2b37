"""``pipeline.contrib.celery_tools.periodic.periodic_task``: a task that adds its own beat entry."""

from datetime import timedelta

import pytest
from celery import Celery
from celery.schedules import crontab, schedule

from pipeline.contrib.celery_tools.periodic import periodic_task
from pipeline.eri.celery.tasks import CLEAN_EXPIRED_LOG_TASK_NAME

RAN = []


@periodic_task(name="tests.periodic_task.every_ten_seconds", run_every=10, options={"queue": "maintenance"})
def every_ten_seconds(value=1):
    RAN.append(value)
    return value


def _fresh_app():
    app = Celery("periodic-tools-test", set_as_current=False)
    app.conf.update(broker_url="memory://")
    app.finalize(auto=True)
    return app


def test_every_new_app_gets_the_task_and_its_beat_entry():
    app = _fresh_app()
    assert "tests.periodic_task.every_ten_seconds" in app.tasks
    entry = app.conf.beat_schedule["tests.periodic_task.every_ten_seconds"]
    assert entry["task"] == "tests.periodic_task.every_ten_seconds"
    assert isinstance(entry["schedule"], schedule) and entry["schedule"].run_every == timedelta(seconds=10)
    assert entry["options"]["queue"] == "maintenance"
    assert app.tasks["tests.periodic_task.every_ten_seconds"].ignore_result is True


def test_the_task_still_runs_as_a_function():
    RAN.clear()
    assert every_ten_seconds(3) == 3 and RAN == [3]


def test_clean_expired_log_is_scheduled_daily_at_midnight():
    entry = _fresh_app().conf.beat_schedule[CLEAN_EXPIRED_LOG_TASK_NAME]
    assert entry["schedule"] == crontab(minute=0, hour=0)


def test_run_every_is_required():
    with pytest.raises(TypeError, match="run_every"):
        periodic_task(name="tests.periodic_task.never")
