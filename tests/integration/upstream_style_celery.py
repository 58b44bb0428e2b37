"""A Celery app configured the way upstream bamboo-pipeline projects do it: ``config_from_object`` only.

No ``autodiscover_tasks``, no ``imports``: every task the worker knows comes from the apps registering
their own tasks when Django starts. Used by ``test_task_registration.py`` (``celery -A`` this module).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")

app = Celery("upstream_style")
app.config_from_object("django.conf:settings", namespace="CELERY")
