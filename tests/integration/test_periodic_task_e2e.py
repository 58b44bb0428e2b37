"""``pipeline.contrib.periodic_task`` end to end: a real ``celery beat`` starts a run a real worker executes.

The task is created through the api with a one-minute cron. Instead of waiting for the next minute, the
test drives the schedule: its beat row is marked as last run two minutes ago, so the cron is due as soon
as beat (``DatabaseScheduler``, ``--max-interval 1``) loads it. Beat sends the start task
(``bamboo_engine_periodic_task_start``) to Celery's default queue; the worker consumes that queue and
the run's own (``er_*_pt``).
"""

import contextlib
import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest

from tests.integration.env import REPO_ROOT, Worker, wait_until
from tests.integration.helpers import describe

pytestmark = pytest.mark.integration

TIMEOUT = 90.0


@pytest.fixture
def periodic_worker(it_session):
    worker = Worker(it_session, "periodic", "prefork", 2, ["celery", "er_execute_pt", "er_schedule_pt"])
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def start_beat(it_session):
    started = []

    def start() -> subprocess.Popen:
        log = open(it_session.log_dir / "beat.log", "ab")  # noqa: SIM115 - the child owns it
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "playground",
                "beat",
                "-S",
                "django_celery_beat.schedulers:DatabaseScheduler",
                "--max-interval",
                "1",
                "-l",
                "INFO",
                "--pidfile=",
            ],
            cwd=str(REPO_ROOT),
            env=it_session.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


def test_a_periodic_task_created_through_the_api_runs_under_celery_beat(
    it_session, periodic_worker, start_beat
):
    from django.utils import timezone
    from django_celery_beat.models import PeriodicTask as BeatTask

    from bamboo_engine.builder import Data, Var
    from pipeline.contrib.periodic_task import api
    from pipeline.contrib.periodic_task.models import PeriodicTask, PeriodicTaskHistory
    from pipeline.eri.models import State
    from tests.contract.trees import activity, linear_tree, splice

    data = Data()
    data.inputs["${greeting}"] = Var(type=Var.PLAIN, value="hello from beat")
    tree = linear_tree(activity("debug_node", said=splice("${greeting}")), data=data)
    result = api.create_periodic_task(
        name="every minute", pipeline_tree=tree, cron={"minute": "*/1"}, queue="pt", priority=50
    )
    assert result.result, result.exc_trace
    task = PeriodicTask.objects.get(id=result.data)
    assert task.enabled and task.cron == "*/1 * * * *"
    BeatTask.objects.filter(id=task.celery_task_id).update(last_run_at=timezone.now() - timedelta(minutes=2))

    beat = start_beat()
    log_path = it_session.log_dir / "beat.log"

    def started():
        if beat.poll() is not None:
            raise RuntimeError(f"celery beat exited:\n{log_path.read_text(errors='replace')[-3000:]}")
        return PeriodicTaskHistory.objects.filter(periodic_task_id=task.id).first()

    try:
        history = wait_until(started, TIMEOUT, "beat to start the periodic task", interval=0.3)
    except TimeoutError as err:
        raise TimeoutError(
            f"{err}\nbeat log:\n{log_path.read_text(errors='replace')[-3000:]}\n"
            f"worker log:\n{periodic_worker.log_tail()}"
        ) from err
    assert history.start_success, history.ex_data
    root_id = history.root_pipeline_id
    assert root_id and root_id != tree["id"]
    assert (history.queue, history.priority) == ("pt", 50)

    def finished():
        state = State.objects.filter(node_id=root_id).values_list("name", flat=True).first()
        return state == "FINISHED"

    try:
        wait_until(finished, TIMEOUT, "the periodic run to finish", interval=0.3)
    except TimeoutError as err:
        raise TimeoutError(f"{err}\n{describe([root_id])}\n{periodic_worker.log_tail()}") from err

    from pipeline.eri.runtime import BambooDjangoRuntime

    act_id = next(iter(tree["activities"]))
    runtime = BambooDjangoRuntime()
    run_activity = [s.node_id for s in runtime.get_state_by_root(root_id) if s.node_id not in (root_id,)]
    outputs = [runtime.get_execution_data_outputs(node_id) for node_id in run_activity]
    assert {"said": "hello from beat"}.items() <= next(o for o in outputs if "said" in o).items()
    assert not State.objects.filter(node_id=act_id).exists()  # the stored snapshot itself never runs
    task.refresh_from_db()
    assert task.total_run_count >= 1 and task.last_run_at is not None
