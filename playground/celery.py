"""The playground's Celery app: ``celery -A playground worker -Q er_execute,er_schedule``.

Configuration comes from Django settings with the ``CELERY_`` prefix (``playground/settings.py``); the
runtime's tasks are found by ``autodiscover_tasks`` in ``pipeline.eri.celery.tasks``. Set
``BAMBOO_PROMETHEUS_PORT`` to serve worker metrics through ``PromServerStep``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")

app = Celery("playground")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The runtime's tasks live in ``pipeline.eri.celery.tasks``, not in the usual ``<app>.tasks``.
app.autodiscover_tasks(lambda: ["pipeline.eri.celery"], related_name="tasks")
app.autodiscover_tasks()

if os.environ.get("BAMBOO_PROMETHEUS_PORT"):
    from pipeline.eri.celery.step import PromServerStep

    PromServerStep.port = int(os.environ["BAMBOO_PROMETHEUS_PORT"])
    app.steps["worker"].add(PromServerStep)
