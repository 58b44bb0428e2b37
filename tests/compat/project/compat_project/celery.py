"""The project's Celery app, configured the way upstream bamboo-pipeline documents it.

``config_from_object("django.conf:settings")`` with no namespace (old-style ``BROKER_URL`` /
``CELERY_QUEUES`` names) and no ``autodiscover_tasks()``: every app with tasks must register them itself.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compat_project.settings")

app = Celery("compat_project")
app.config_from_object("django.conf:settings")
