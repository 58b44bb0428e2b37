"""Django settings of the component framework tests.

Builds on the shared ``tests.django_settings`` when it exists (the whole suite shares one Django setup)
and adds the plugin apps. The playground plugins are discovered through ``COMPONENT_PATH``, next to the
examples shipped with ``pipeline`` (``ENABLE_EXAMPLE_COMPONENTS``).
"""

try:
    from tests.django_settings import *  # noqa: F403
except ImportError:
    SECRET_KEY = "components-tests-only"
    USE_TZ = True
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
    DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
    COMPONENT_PATH = ["playground.components.collections"]

PLUGIN_APPS = ["pipeline", "pipeline.component_framework", "pipeline.variable_framework"]
INSTALLED_APPS = list(INSTALLED_APPS) + [app for app in PLUGIN_APPS if app not in INSTALLED_APPS]
ENABLE_EXAMPLE_COMPONENTS = True
