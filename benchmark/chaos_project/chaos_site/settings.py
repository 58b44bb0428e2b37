"""Settings of the chaos suite's project, written as an upstream bamboo-pipeline project writes them.

The same project runs on this repository's runtime and on upstream 4.0.6 (each in its own virtualenv):
Django's own MySQL backend (PyMySQL installed as ``MySQLdb``, the driver a gevent worker needs),
``BROKER_URL`` and ``CELERY_QUEUES`` read by ``app.config_from_object("django.conf:settings")``.

``CHAOS_CELERY`` selects what the project says about message delivery:

* ``upstream-style`` (default): nothing. No late acks, no prefetch multiplier, the broker heartbeat at
  Celery's default: whatever the runtime needs for crash safety has to come from the runtime itself.
* ``playground``: the delivery settings of this repository's playground (late acks, reject on worker
  lost, one prefetched message per pool slot, no broker heartbeat), in old-style names. The suite uses
  it for upstream's side of ``--settings playground`` (ours runs the playground itself).

Connection details come from ``BAMBOO_DB`` (``mysql://user:pass@host:port/name``) and ``BAMBOO_BROKER``.
"""

import os
from urllib.parse import urlparse

import pymysql

from pipeline.eri.celery.queues import *  # noqa: F403 - upstream's recipe: brings CELERY_QUEUES

pymysql.install_as_MySQLdb()

SECRET_KEY = "chaos-project-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "pipeline",
    "pipeline.engine",
    "pipeline.component_framework",
    "pipeline.variable_framework",
    "pipeline.eri",
    "chaos_probe",
]

_db = urlparse(os.environ["BAMBOO_DB"])
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.mysql",
        "NAME": _db.path.lstrip("/"),
        "USER": _db.username or "root",
        "PASSWORD": _db.password or "",
        "HOST": _db.hostname or "127.0.0.1",
        "PORT": _db.port or 3306,
        "OPTIONS": {"charset": "utf8mb4", "ssl_disabled": True},
    }
}

BROKER_URL = os.environ["BAMBOO_BROKER"]

if os.environ.get("CHAOS_CELERY", "upstream-style") == "playground":
    CELERY_ACKS_LATE = True
    CELERY_REJECT_ON_WORKER_LOST = True
    CELERYD_PREFETCH_MULTIPLIER = 1
    BROKER_HEARTBEAT = 0

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
