"""The legacy wrapper ``python manage.py celery worker ...`` runs a working worker (gevent pool)."""

from typing import List

import pytest

from tests.integration.env import REPO_ROOT, Worker
from tests.integration.helpers import PROBE_IMPORTS, assert_ran_once, start, wait_finished
from tests.trees import normal_pipeline

pytestmark = pytest.mark.integration

QUEUE = "mp"


class ManagePyWorker(Worker):
    """Started as ``python manage.py celery worker <the same options>`` (no ``-A``: the wrapper finds it)."""

    def command(self) -> List[str]:
        celery_command = super().command()
        options = celery_command[celery_command.index("worker") :]
        return [celery_command[0], str(REPO_ROOT / "manage.py"), "celery", *options]


def test_manage_py_celery_worker_runs_pipelines(it_session):
    queues = [f"er_execute_{QUEUE}", f"er_schedule_{QUEUE}"]
    worker = ManagePyWorker(it_session, "manage-py", "gevent", 20, queues, PROBE_IMPORTS).start()
    try:
        root_ids = [start(normal_pipeline(), queue=QUEUE) for _ in range(3)]
        wait_finished(root_ids)
        assert_ran_once(it_session, root_ids)
    finally:
        worker.stop()
