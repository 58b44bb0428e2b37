"""Settings of an ordinary bamboo-pipeline project, written the way upstream documents them.

Nothing here is specific to this repository: Django's own MySQL backend, the installed apps of an
upstream project (the legacy ones included), ``BROKER_URL`` / ``CELERY_QUEUES`` read by
``app.config_from_object("django.conf:settings")``. Only the connection details come from the
environment, so that the test harness can point the project at its per-run database and vhost:

* ``COMPAT_DB_NAME`` (required), ``COMPAT_DB_HOST``, ``COMPAT_DB_PORT``, ``COMPAT_DB_USER``,
  ``COMPAT_DB_PASSWORD``;
* ``COMPAT_MYSQL_DRIVER``: ``mysqlclient`` (default, Django's usual driver) or ``pymysql`` (installed as
  ``MySQLdb``, as many projects do);
* ``COMPAT_BROKER_URL``: the AMQP broker;
* ``COMPAT_MAKO_RENDER_BACKEND``: when set, the upstream ``MAKO_RENDER_*`` settings are switched on.
"""

import os

from pipeline.eri.celery.queues import *  # noqa: F403 - upstream's recipe: brings CELERY_QUEUES

SECRET_KEY = "compat-project-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
ROOT_URLCONF = "compat_project.urls"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "pipeline",
    "pipeline.engine",
    "pipeline.component_framework",
    "pipeline.variable_framework",
    "pipeline.eri",
    "pipeline.django_signal_valve",
    "pipeline.log",
    "pipeline.contrib.plugin_execute",
    "compat_plugins",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.request",
            ]
        },
    }
]
STATIC_URL = "/static/"

if os.environ.get("COMPAT_MYSQL_DRIVER", "mysqlclient") == "pymysql":
    import pymysql

    pymysql.install_as_MySQLdb()

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.mysql",
        "NAME": os.environ.get("COMPAT_DB_NAME", "compat_project"),
        "USER": os.environ.get("COMPAT_DB_USER", "root"),
        "PASSWORD": os.environ.get("COMPAT_DB_PASSWORD", ""),
        "HOST": os.environ.get("COMPAT_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("COMPAT_DB_PORT", "3306"),
        "OPTIONS": {"charset": "utf8mb4"},
    }
}

# Celery, old-style names (config_from_object without a namespace)
BROKER_URL = os.environ.get("COMPAT_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")

# The runtime's signals, node logs in the database
ENABLE_PIPELINE_EVENT_SIGNALS = True
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "node": {"class": "pipeline.eri.log.ERINodeLogHandler"},
    },
    "loggers": {
        "pipeline.eri.log": {"handlers": ["node"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
}

if os.environ.get("COMPAT_MAKO_RENDER_BACKEND"):
    from bamboo_engine.config import Settings as EngineSettings

    # Upstream's isolated template rendering; its engine reads these from bamboo_engine.config.Settings.
    MAKO_RENDER_BACKEND = os.environ["COMPAT_MAKO_RENDER_BACKEND"]
    MAKO_RENDER_POOL_SIZE = 1
    MAKO_RENDER_TIMEOUT = 10
    for _name in ("MAKO_RENDER_BACKEND", "MAKO_RENDER_POOL_SIZE", "MAKO_RENDER_TIMEOUT"):
        setattr(EngineSettings, _name, globals()[_name])
