"""Rollback end to end on MariaDB, RabbitMQ and a prefork worker started the documented way.

The worker runs ``celery -A playground worker -Q er_execute_<q>,er_schedule_<q>,rollback`` with
``BAMBOO_ENABLE_ROLLBACK=1`` (docs/workers.md, docs/rollback.md): it runs the pipeline's steps and the
rollback message, which the api sends to ``ROLLBACK_QUEUE`` (default ``rollback``). The pipeline is the
playground's provision example, run by its script in a process of its own. The contract suite
(``tests/contract/test_rollback*.py``) runs every rollback case on MariaDB too, on gevent workers.
"""

import subprocess
import sys

import pytest

from tests.integration.env import REPO_ROOT, Worker

pytestmark = pytest.mark.integration

QUEUE = "rbi"
ROLLBACK_ENV = {"BAMBOO_ENABLE_ROLLBACK": "1"}


@pytest.fixture(scope="module")
def rollback_worker(it_session):
    queues = [f"er_execute_{QUEUE}", f"er_schedule_{QUEUE}", "rollback"]
    worker = Worker(it_session, "rollback", "prefork", 2, queues, ROLLBACK_ENV)
    worker.start()
    yield worker
    worker.stop()


def test_the_worker_consumes_the_rollback_queue(rollback_worker):
    from celery import current_app

    replies = current_app.control.inspect([rollback_worker.nodename], timeout=5).active_queues() or {}
    assert "rollback" in {queue["name"] for queue in replies.get(rollback_worker.nodename, [])}


def test_the_provision_example_rolls_back_on_real_services(it_session, rollback_worker, tmp_path):
    inventory = tmp_path / "inventory.json"
    command = [sys.executable, "-m", "playground.provision", "--queue", QUEUE, "--inventory", str(inventory)]
    done = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=it_session.env(**ROLLBACK_ENV),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{done.stdout}{done.stderr}\nworker log:\n{rollback_worker.log_tail()}"
    assert "detached disk:web-1\n  deleted vm:web-1\n  created vm:web-1" in done.stdout
    assert done.stdout.rstrip().endswith("provision OK: rolled back and finished")
