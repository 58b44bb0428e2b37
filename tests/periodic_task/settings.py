"""Django settings of the periodic_task and mock tests: the shared ``tests.django_settings`` + these apps."""

try:
    from tests.django_settings import *  # noqa: F403
except ImportError:
    SECRET_KEY = "periodic-task-tests-only"
    USE_TZ = True
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
    DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
    COMPONENT_PATH = ["playground.components.collections"]

PERIODIC_TASK_APPS = [
    "pipeline",
    "pipeline.eri",
    "pipeline.component_framework",
    "pipeline.contrib.periodic_task",
    "django_celery_beat",
]
INSTALLED_APPS = list(INSTALLED_APPS) + [app for app in PERIODIC_TASK_APPS if app not in INSTALLED_APPS]
