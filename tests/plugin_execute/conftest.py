"""Django setup and fixtures of the plugin_execute tests.

The settings module is chosen once per session (Django cannot be set up twice): the one a previous
conftest or the environment chose, else ``tests.plugin_execute.settings``. Messages are captured by
:class:`tests.plugin_execute.broker.FakeBroker` and delivered through the real task bodies.
"""

import os

import django
import pytest
from django.apps import apps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.plugin_execute.settings")
if not apps.ready:
    django.setup()

from pipeline.component_framework.library import ComponentLibrary
from tests.plugin_execute import services
from tests.plugin_execute.broker import FakeBroker

REQUIRED_APPS = ("pipeline.component_framework", "pipeline.contrib.plugin_execute")


@pytest.fixture(autouse=True)
def _plugin_execute_installed():
    missing = [app for app in REQUIRED_APPS if not apps.is_installed(app)]
    if missing:
        pytest.fail(
            f"settings {os.environ['DJANGO_SETTINGS_MODULE']} lack {missing}: the plugin_execute tests need "
            "them (add them to tests/django_settings.py)"
        )


@pytest.fixture(autouse=True)
def test_components():
    """The test services of :mod:`tests.plugin_execute.services`, registered for one test."""
    saved = {code: dict(versions) for code, versions in ComponentLibrary.components.items()}
    services.register_all()
    services.HOOKS.clear()
    yield
    services.HOOKS.clear()
    ComponentLibrary.components.clear()
    ComponentLibrary.components.update(saved)


@pytest.fixture
def broker(transactional_db, monkeypatch):
    """Captured plugin_execute messages (nothing reaches a real broker)."""
    instance = FakeBroker()
    instance.install(monkeypatch)
    return instance
