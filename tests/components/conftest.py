"""Django setup and fixtures of the component framework tests.

The settings module is chosen once per session (Django cannot be set up twice): the one a previous
conftest or the environment chose, else ``tests.components.settings``.
"""

import os

import django
import pytest
from django.apps import apps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.components.settings")
if not apps.ready:
    django.setup()

from bamboo_engine.testing import InMemoryRuntime
from pipeline.component_framework.library import ComponentLibrary
from pipeline.core.data.library import VariableLibrary
from pipeline.core.flow.factory import FlowNodeClsFactory

REQUIRED_APPS = ("pipeline", "pipeline.component_framework", "pipeline.variable_framework")


@pytest.fixture(autouse=True)
def _plugin_apps_installed():
    missing = [app for app in REQUIRED_APPS if not apps.is_installed(app)]
    if missing:
        pytest.fail(
            f"settings {os.environ['DJANGO_SETTINGS_MODULE']} lack {missing}: the component tests need "
            "them (add them to tests/django_settings.py)"
        )


@pytest.fixture(autouse=True)
def isolated_registries():
    """Components, variables and node types declared by a test disappear after it."""
    components = {code: dict(versions) for code, versions in ComponentLibrary.components.items()}
    variables = dict(VariableLibrary.variables)
    node_classes = dict(FlowNodeClsFactory.nodes_cls)
    yield
    ComponentLibrary.components.clear()
    ComponentLibrary.components.update(components)
    VariableLibrary.variables.clear()
    VariableLibrary.variables.update(variables)
    FlowNodeClsFactory.nodes_cls.clear()
    FlowNodeClsFactory.nodes_cls.update(node_classes)


@pytest.fixture
def runtime():
    """An in-memory runtime (sync executor, manual clock)."""
    with InMemoryRuntime() as instance:
        yield instance
