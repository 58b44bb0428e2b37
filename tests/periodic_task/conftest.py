"""Django setup and fixtures of the periodic_task and mock tests.

The settings module is chosen once per session (Django cannot be set up twice): the one a previous
conftest or the environment chose, else ``tests.periodic_task.settings``. Runs execute eagerly in the
test's thread (Celery's ``task_always_eager``), so a test sees a finished run when ``run_pipeline`` returns.
"""

import os

import django
import pytest
from django.apps import apps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.periodic_task.settings")
if not apps.ready:
    django.setup()

REQUIRED_APPS = ("pipeline.eri", "pipeline.contrib.periodic_task", "django_celery_beat")


@pytest.fixture(autouse=True)
def _apps_installed():
    missing = [app for app in REQUIRED_APPS if not apps.is_installed(app)]
    if missing:
        pytest.fail(
            f"settings {os.environ['DJANGO_SETTINGS_MODULE']} lack {missing}: these tests need them "
            "(add them to tests/django_settings.py)"
        )


@pytest.fixture
def eager(monkeypatch):
    """Celery messages run in the calling thread."""
    from celery import current_app

    monkeypatch.setattr(current_app.conf, "task_always_eager", True)
