"""Importing the plugin framework, its shipped examples and the playground plugins writes and prints nothing.

Which packages may import which is checked in ``tests/unit/test_import_layers.py``.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [
    "pipeline.component_framework",
    "pipeline.core",
    "pipeline.variable_framework",
    "pipeline.components",
    "playground.components",
]

_WALK = """
import importlib, pkgutil
def walk(packages, skip=()):
    names = []
    for name in packages:
        package = importlib.import_module(name)
        names.append(name)
        for info in pkgutil.walk_packages(package.__path__, prefix=name + "."):
            if any(part in info.name.split(".") for part in skip):
                continue
            importlib.import_module(info.name)
            names.append(info.name)
    return names
"""


def _run_python(code):
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_WALK) + textwrap.dedent(code)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT)},
        timeout=120,
    )
    return completed


def test_every_module_imports_silently_with_no_database():
    completed = _run_python(
        f"""
        import django, sys
        from django.conf import settings
        settings.configure(
            INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.admin",
                            "pipeline", "pipeline.component_framework", "pipeline.variable_framework"],
            DATABASES={{}},  # the dummy backend: any query raises
        )
        django.setup()
        names = walk({PACKAGES!r})
        assert "pipeline.component_framework.models" in names
        assert "playground.components.collections.debug" in names
        assert "pipeline.components.collections.examples" in names
        assert any(name.endswith("migrations.0001_initial") for name in names)
        sys.exit(0)
        """
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == ""
    assert completed.stderr == ""


def test_plugin_modules_import_without_django_settings():
    # Models, admin, app configs and commands need configured settings; plugin authoring code does not.
    completed = _run_python(
        f"""
        import sys
        names = walk({PACKAGES!r}, skip=("models", "admin", "migrations", "management", "apps"))
        from pipeline.component_framework.library import ComponentLibrary
        assert "factorial" in ComponentLibrary.codes(), ComponentLibrary.codes()
        from django.conf import settings
        assert not settings.configured
        sys.exit(0)
        """
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == ""
    assert completed.stderr == ""
