"""Django settings shared by every Django test package (one Django setup per pytest session).

SQLite in a file, so threads of one test share the database. Test packages that need more build on
this module (``from tests.django_settings import *``); the apps every package needs are listed here so
that whichever package configures Django first in a whole-suite run, the others find theirs.
"""

import os
import tempfile

from django.db.backends.signals import connection_created

SECRET_KEY = "tests-not-secret"
DEBUG = False
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "pipeline",
    "pipeline.eri",
    "pipeline.component_framework",
    "pipeline.variable_framework",
    "pipeline.contrib.plugin_execute",
    "pipeline.contrib.node_timeout",
    "pipeline.contrib.node_timer_event",
    "pipeline.contrib.rollback",
    "pipeline.contrib.engine_admin",
    "pipeline.contrib.periodic_task",
    "django_celery_beat",
]
# The playground's plugins (debug_node, sleep_timer, callback_node, ...) are what the tests run; the
# playground project registers them the same way (playground/settings.py).
COMPONENT_PATH = ["playground.components.collections"]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
_DB_PATH = os.environ.get(
    "BAMBOO_TEST_SQLITE_PATH", os.path.join(tempfile.gettempdir(), f"bamboo_eri_tests_{os.getpid()}.sqlite3")
)
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": _DB_PATH,
        # Threads of one test write concurrently: wait for SQLite's single writer lock (WAL, set below,
        # lets readers run meanwhile).
        "OPTIONS": {"timeout": 30},
        "TEST": {"NAME": _DB_PATH + ".test"},
    }
}
CELERY_TASK_ALWAYS_EAGER = True
# The admin tests' URLconf (they pin it with ``pytest.mark.urls`` too); nothing else serves URLs.
ROOT_URLCONF = "tests.admin.urls"


def _tune_sqlite(sender, connection, **kwargs):
    # WAL lets readers run while a thread writes; durability does not matter for tests. A receiver rather
    # than OPTIONS["init_command"], which the SQLite backend accepts only from Django 5.1 on.
    # On the driver's connection: tests that record the statements Django sends never see these.
    if connection.vendor == "sqlite":
        connection.connection.execute("PRAGMA journal_mode=WAL")
        connection.connection.execute("PRAGMA synchronous=OFF")


connection_created.connect(_tune_sqlite, dispatch_uid="tests.django_settings.tune_sqlite")
