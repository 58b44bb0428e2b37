"""A settings file listing every documented app loads: ``django.setup()`` and ``check`` pass.

Django can be set up only once per process, so the check runs in a child interpreter with its own
settings module (``tests.admin.all_apps_settings``).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.admin.all_apps_settings import PIPELINE_APPS, THIRD_PARTY_APPS

REPO_ROOT = Path(__file__).resolve().parents[2]

CHILD_SCRIPT = """
import json
import django
from django.apps import apps
from django.core.management import call_command

django.setup()
call_command("check", fail_level="ERROR")
print(json.dumps({
    config.name: {"label": config.label, "models": len(list(config.get_models()))}
    for config in apps.get_app_configs()
}))
"""

EXPECTED_LABELS = {
    "pipeline.eri": "eri",
    "pipeline.engine": "engine",
    "pipeline.log": "log",
    "pipeline.django_signal_valve": "django_signal_valve",
    "pipeline.contrib.node_timeout": "node_timeout",
    "pipeline.contrib.node_timer_event": "node_timer_event",
    "pipeline.contrib.rollback": "rollback",
    "pipeline.contrib.plugin_execute": "plugin_execute",
    "pipeline.contrib.periodic_task": "periodic_task",
    "pipeline.contrib.engine_admin": "engine_admin",
}
LEGACY_STUBS = ("pipeline.engine", "pipeline.log", "pipeline.django_signal_valve")


@pytest.fixture(scope="module")
def installed_apps():
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="tests.admin.all_apps_settings")
    child = subprocess.run(
        [sys.executable, "-c", CHILD_SCRIPT],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, f"setup/check failed:\n{child.stdout}\n{child.stderr}"
    return json.loads(child.stdout.strip().splitlines()[-1])


def test_every_documented_app_is_installed(installed_apps):
    assert [app for app in PIPELINE_APPS + THIRD_PARTY_APPS if app not in installed_apps] == []


def test_app_labels_are_the_ones_settings_and_migrations_refer_to(installed_apps):
    labels = {name: installed_apps[name]["label"] for name in EXPECTED_LABELS}
    assert labels == EXPECTED_LABELS


def test_legacy_apps_are_empty_stubs(installed_apps):
    assert {name: installed_apps[name]["models"] for name in LEGACY_STUBS} == dict.fromkeys(LEGACY_STUBS, 0)
