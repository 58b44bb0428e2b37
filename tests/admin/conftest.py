"""Django setup of the admin tests.

The settings module is chosen once per test session (Django cannot be set up twice): the one a previous
conftest or the environment chose, else ``tests.admin.settings``. Tests pin their URLconf with
``pytest.mark.urls`` so they do not depend on which settings module won.
"""

import os

import django
import pytest
from django.apps import apps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.admin.settings")
if not apps.ready:
    django.setup()

REQUIRED_APPS = ("django.contrib.admin", "django.contrib.auth", "django.contrib.sessions", "pipeline.eri")


@pytest.fixture
def admin_apps_installed():
    """Fails the test with a clear message when the session's settings have no admin."""
    missing = [app for app in REQUIRED_APPS if not apps.is_installed(app)]
    if missing:
        pytest.fail(
            f"settings {os.environ['DJANGO_SETTINGS_MODULE']} lack {missing}: the admin tests need them "
            "(add them to tests/django_settings.py)"
        )
