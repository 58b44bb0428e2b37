"""The example components shipped with ``pipeline``, and who wins a code when a project registers its own.

What a Django start registers is checked in child interpreters: each configures Django from scratch.
"""

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

from django.test import SimpleTestCase

from pipeline.component_framework.test import ComponentTestCase, ComponentTestMixin, ExecuteAssertion
from pipeline.components.collections.examples import PipeExampleComponent, SimpleExampleComponent

REPO_ROOT = Path(__file__).resolve().parents[2]


def _case(name, inputs, outputs):
    return ComponentTestCase(
        name=name,
        inputs=inputs,
        parent_data={},
        execute_assertion=ExecuteAssertion(success=True, outputs=outputs),
        schedule_assertion=None,
    )


class SimpleExampleTest(SimpleTestCase, ComponentTestMixin):
    def component_cls(self):
        return SimpleExampleComponent

    def cases(self):
        return [_case("succeeds with no outputs", {"anything": 1}, {})]


class PipeExampleTest(SimpleTestCase, ComponentTestMixin):
    def component_cls(self):
        return PipeExampleComponent

    def cases(self):
        return [_case("copies inputs to outputs", {"a": 1, "b": "two"}, {"a": 1, "b": "two"})]


def test_codes_names_and_group_are_upstreams():
    assert (SimpleExampleComponent.code, SimpleExampleComponent.name) == (
        "example_component",
        "example component",
    )
    assert (PipeExampleComponent.code, PipeExampleComponent.name) == (
        "pipe_example_component",
        "pipe example component",
    )
    assert SimpleExampleComponent.group_name == PipeExampleComponent.group_name == "Examples"


_START = """
import sys, django
from django.conf import settings
settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "pipeline",
                    "pipeline.component_framework", *{apps!r}],
    DATABASES={{}}, {extra}
)
try:
    django.setup()
except Exception as err:
    print(f"{{type(err).__name__}}: {{err}}")
    sys.exit(3)
from pipeline.component_framework.library import ComponentLibrary
print(sorted((code, ComponentLibrary(code).__module__) for code in ComponentLibrary.codes()))
"""


def _start(tmp_path, modules, apps=(), extra=""):
    """Django set up in a child interpreter with ``modules`` ({dotted path: source}) on its path."""
    for dotted, source in modules.items():
        path = tmp_path.joinpath(*dotted.split("."))
        path.parent.mkdir(parents=True, exist_ok=True)
        for package in list(path.relative_to(tmp_path).parents)[:-1]:
            (tmp_path / package / "__init__.py").touch()
        path.with_suffix(".py").write_text(textwrap.dedent(source))
    return subprocess.run(
        [sys.executable, "-c", _START.format(apps=list(apps), extra=extra)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{tmp_path}:{REPO_ROOT}"},
        timeout=120,
    )


_ECHO = """
from pipeline.component_framework.component import Component
from pipeline.core.flow.activity import Service

class EchoService(Service):
    def execute(self, data, parent_data):
        return True

class {name}(Component):
    name = "mine"
    code = "{code}"
    bound_service = EchoService
"""


def test_a_fresh_project_gets_the_examples_by_default_and_none_when_disabled(tmp_path):
    enabled = _start(tmp_path, {})
    disabled = _start(tmp_path, {}, extra="ENABLE_EXAMPLE_COMPONENTS=False,")

    assert enabled.returncode == 0, enabled.stderr
    assert enabled.stdout.strip() == str(
        [
            ("example_component", "pipeline.components.collections.examples"),
            ("pipe_example_component", "pipeline.components.collections.examples"),
        ]
    )
    assert disabled.returncode == 0, disabled.stderr
    assert disabled.stdout.strip() == "[]"


def test_a_project_component_wins_over_the_shipped_example_of_its_code(tmp_path):
    app_module = "my_app.components.collections.mine"
    completed = _start(
        tmp_path, {app_module: _ECHO.format(name="MyExample", code="example_component")}, apps=["my_app"]
    )

    assert completed.returncode == 0, completed.stderr
    assert ("example_component", app_module) in ast.literal_eval(completed.stdout)


def test_two_project_components_of_one_code_stop_the_start_naming_both(tmp_path):
    completed = _start(
        tmp_path,
        {
            "my_app.components.collections.first": _ECHO.format(name="FirstEcho", code="echo"),
            "my_app.components.collections.second": _ECHO.format(name="SecondEcho", code="echo"),
        },
        apps=["my_app"],
    )

    assert completed.returncode == 3, completed.stderr
    assert completed.stdout.startswith("ComponentConflictError: component 'echo' version 'legacy'")
    assert "my_app.components.collections.first.FirstEcho" in completed.stdout
    assert "my_app.components.collections.second.SecondEcho" in completed.stdout
