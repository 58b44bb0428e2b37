"""The playground's Celery app: ``celery -A playground worker -Q er_execute,er_schedule``.

Configuration comes from Django settings with the ``CELERY_`` prefix (``playground/settings.py``); the
runtime's tasks register themselves when Django starts (the apps import them in ``ready()``), so
``autodiscover_tasks`` is only there for the project's own ``tasks`` modules. Set
``BAMBOO_PROMETHEUS_PORT`` to serve worker metrics through ``PromServerStep``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")

app = Celery("playground")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

if os.environ.get("BAMBOO_PROMETHEUS_PORT"):
    from pipeline.eri.celery.step import PromServerStep

    PromServerStep.port = int(os.environ["BAMBOO_PROMETHEUS_PORT"])
    app.steps["worker"].add(PromServerStep)
