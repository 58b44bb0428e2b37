"""Management commands: create_plugins_app / create_atoms_app scaffolds and run_component."""

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

REPO_ROOT = Path(__file__).resolve().parents[2]


def _call(name, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("command", ["create_plugins_app", "create_atoms_app"])
def test_create_plugins_app_scaffolds_an_app_with_components_collections(tmp_path, command):
    output, _ = _call(command, "my_plugins", "--directory", str(tmp_path))

    root = tmp_path / "my_plugins"
    assert "plugin app 'my_plugins' created" in output
    for relative in (
        "__init__.py",
        "apps.py",
        "migrations/__init__.py",
        "components/__init__.py",
        "components/collections/__init__.py",
        "components/collections/plugins.py",
        "tests/components/collections/test_plugins.py",
        "static/my_plugins/hello.js",
    ):
        assert (root / relative).is_file(), relative
    assert 'code = "my_plugins_hello"' in (root / "components/collections/plugins.py").read_text()


def test_scaffolded_app_is_discovered_and_its_generated_test_passes(tmp_path):
    _call("create_plugins_app", "demo_plugins", "--directory", str(tmp_path))
    script = textwrap.dedent(
        """
        import sys, unittest, django
        from django.conf import settings
        settings.configure(
            INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "pipeline",
                            "pipeline.component_framework", "demo_plugins"],
            DATABASES={}, ENABLE_EXAMPLE_COMPONENTS=False,
        )
        django.setup()
        from pipeline.component_framework.library import ComponentLibrary
        assert ComponentLibrary.codes() == ["demo_plugins_hello"], ComponentLibrary.codes()
        test_module = "demo_plugins.tests.components.collections.test_plugins"
        suite = unittest.defaultTestLoader.loadTestsFromName(test_module)
        result = unittest.TextTestRunner(stream=sys.stderr, verbosity=0).run(suite)
        sys.exit(0 if result.wasSuccessful() and result.testsRun == 1 else 1)
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{tmp_path}:{REPO_ROOT}"},
        timeout=120,
    )

    assert completed.returncode == 0, completed.stderr


def test_create_plugins_app_refuses_bad_names_and_existing_directories(tmp_path):
    with pytest.raises(CommandError, match="'my-plugins' is not a valid Python identifier"):
        _call("create_plugins_app", "my-plugins", "--directory", str(tmp_path))
    (tmp_path / "taken").mkdir()
    with pytest.raises(CommandError, match="already exists"):
        _call("create_plugins_app", "taken", "--directory", str(tmp_path))


def test_run_component_executes_and_prints_the_outputs():
    output, _ = _call("run_component", "-d", '{"n": 5}', "factorial")

    report = json.loads(output)
    assert report["success"] is True
    assert report["outputs"] == {"_loop": 1, "_inner_loop": 1, "factorial_of_n": 120, "_result": True}


def test_run_component_delivers_callback_data():
    output, _ = _call("run_component", "callback_node", "-c", '{"ok": true, "id": 3}')

    report = json.loads(output)
    assert (report["success"], report["stage"], report["schedule_times"]) == (True, "schedule", 1)
    assert report["outputs"]["callback_data"] == {"ok": True, "id": 3}


def test_run_component_reports_exceptions_with_their_traceback():
    output, error = _call("run_component", "raise_node", "--data", '{"message": "kaboom"}')

    assert json.loads(output)["success"] is False
    assert "PlaygroundError: kaboom" in error


def test_run_component_rejects_unknown_codes_and_bad_json():
    with pytest.raises(CommandError, match="component 'nope' version 'legacy' does not exist"):
        _call("run_component", "nope")
    with pytest.raises(CommandError, match="--data is not valid JSON"):
        _call("run_component", "factorial", "-d", "{n: 1}")
    with pytest.raises(CommandError, match="--parent_data must be a JSON object, got list"):
        _call("run_component", "factorial", "-p", "[1]")


def test_run_component_polls_until_the_schedule_finishes():
    output, _ = _call("run_component", "debug_node", "-d", '{"param_1": "a"}')

    report = json.loads(output)
    assert (report["success"], report["stage"], report["schedule_times"]) == (True, "schedule", 1)
    assert report["outputs"]["param_1"] == "a"
