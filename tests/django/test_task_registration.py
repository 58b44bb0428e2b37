"""Our Celery tasks register without ``autodiscover_tasks``: each app imports its tasks in ``ready()``.

Upstream-style projects build their Celery app with ``config_from_object`` only. The check runs in a
fresh interpreter so that nothing this test process imported beforehand can register a task for it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.task_names import OUR_TASKS

REPO_ROOT = Path(__file__).resolve().parents[2]

# Celery app first (as in a project's celery.py), then Django, then finalize: what a worker does.
_SCRIPT = """
import json
from celery import Celery

app = Celery("upstream_style")
app.config_from_object("django.conf:settings", namespace="CELERY")

import django
django.setup()
app.finalize()

from django.db import connections
print(json.dumps({
    "tasks": sorted(app.tasks),
    "connected": [alias for alias in connections if connections[alias].connection is not None],
}))
"""


@pytest.fixture(scope="module")
def fresh_report() -> dict:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="tests.django_settings", PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_config_from_object_alone_registers_every_task_of_our_apps(fresh_report):
    assert set(fresh_report["tasks"]) >= OUR_TASKS, sorted(OUR_TASKS - set(fresh_report["tasks"]))


def test_registering_the_tasks_touches_no_database(fresh_report):
    # Imports only: a process that never queries (a web server, ``manage.py check``) opens no connection.
    assert fresh_report["connected"] == []
