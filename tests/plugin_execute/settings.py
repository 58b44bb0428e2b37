"""Django settings of the plugin_execute tests: the shared ``tests.django_settings`` plus this app.

The playground components (``example_component``, ``callback_node``, ...; ``COMPONENT_PATH``) are the
plugins run here.
"""

try:
    from tests.django_settings import *  # noqa: F403
except ImportError:
    SECRET_KEY = "plugin-execute-tests-only"
    USE_TZ = True
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
    DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
    COMPONENT_PATH = ["playground.components.collections"]

PLUGIN_EXECUTE_APPS = ["pipeline", "pipeline.component_framework", "pipeline.contrib.plugin_execute"]
INSTALLED_APPS = list(INSTALLED_APPS) + [app for app in PLUGIN_EXECUTE_APPS if app not in INSTALLED_APPS]
ENABLE_EXAMPLE_COMPONENTS = True
