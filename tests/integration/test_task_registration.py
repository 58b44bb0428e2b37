"""A worker of an upstream-style Celery app (``config_from_object`` only) knows and runs our tasks.

The worker runs ``celery -A tests.integration.upstream_style_celery``: no ``autodiscover_tasks``, no
``imports``. Our apps register their tasks in ``AppConfig.ready()``, so the worker lists them and runs a
plugin_execute task sent to it.
"""

import pytest
from django.test import override_settings

from tests.integration.env import Worker, wait_until
from tests.task_names import OUR_TASKS

pytestmark = pytest.mark.integration

QUEUE = "pe_upstream_style"
TIMEOUT = 60.0


@pytest.fixture(scope="module")
def upstream_style_worker(it_session):
    worker = Worker(
        it_session, "upstream-style", "gevent", 10, [QUEUE], app="tests.integration.upstream_style_celery"
    )
    worker.start()
    yield worker
    worker.stop()


def test_the_worker_registered_every_task_of_our_apps(upstream_style_worker):
    from celery import current_app

    replies = current_app.control.inspect([upstream_style_worker.nodename], timeout=5).registered() or {}

    registered = set(replies.get(upstream_style_worker.nodename, []))
    assert registered >= OUR_TASKS, sorted(OUR_TASKS - registered)


def test_the_worker_runs_a_plugin_execute_task(upstream_style_worker):
    from pipeline.contrib.plugin_execute import api

    with override_settings(PLUGIN_EXECUTE_QUEUE=QUEUE):
        started = api.run("example_component", "legacy", {"message": "no autodiscover"}, {})
    assert started.result, started.message

    def finished():
        state = api.get_state(started.data).data
        return state if state["state"] == "FINISHED" else None

    try:
        state = wait_until(finished, TIMEOUT, f"plugin execute task {started.data} FINISHED")
    except TimeoutError as err:
        raise TimeoutError(f"{err}\nworker log:\n{upstream_style_worker.log_tail()}") from err
    assert state["outputs"] == {"message": "no autodiscover", "_result": True}
