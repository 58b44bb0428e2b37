"""The Celery app of the chaos project, configured the way upstream's documentation shows.

``config_from_object`` on Django's settings without a namespace (old-style names such as ``BROKER_URL``),
no ``autodiscover_tasks``: the runtime's tasks register themselves when Django starts.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chaos_site.settings")

app = Celery("chaos_site")
app.config_from_object("django.conf:settings")
