"""File templates of ``manage.py create_plugins_app`` (one function, no Django imports)."""

from typing import Dict

_APPS = """from django.apps import AppConfig


class {class_name}Config(AppConfig):
    name = "{name}"
    label = "{name}"
    default_auto_field = "django.db.models.BigAutoField"
"""

_PLUGINS = '''"""Components of {name}: each Component subclass registers itself at import."""

from pipeline.component_framework.component import Component
from pipeline.core.flow.activity import Service
from pipeline.core.flow.io import StringItemSchema

__group_name__ = "{class_name}"


class HelloService(Service):
    def inputs_format(self):
        schema = StringItemSchema("who to greet")
        return [self.InputItem(name="Name", key="name", type="string", schema=schema)]

    def outputs_format(self):
        schema = StringItemSchema("the greeting")
        return [self.OutputItem(name="Greeting", key="greeting", type="string", schema=schema)]

    def execute(self, data, parent_data):
        name = data.get_one_of_inputs("name")
        if not name:
            data.set_outputs("ex_data", "input 'name' is empty")
            return False
        data.set_outputs("greeting", f"Hello, {{name}}!")
        return True


class HelloComponent(Component):
    name = "Hello"
    code = "{name}_hello"
    bound_service = HelloService
    form = "/static/{name}/hello.js"

'''

_TEST = """from django.test import SimpleTestCase

from pipeline.component_framework.test import ComponentTestCase, ComponentTestMixin, ExecuteAssertion

from {name}.components.collections.plugins import HelloComponent


class HelloComponentTest(SimpleTestCase, ComponentTestMixin):
    def component_cls(self):
        return HelloComponent

    def cases(self):
        return [
            ComponentTestCase(
                name="greets",
                inputs={{"name": "bamboo"}},
                parent_data={{}},
                execute_assertion=ExecuteAssertion(success=True, outputs={{"greeting": "Hello, bamboo!"}}),
                schedule_assertion=None,
            ),
            ComponentTestCase(
                name="empty name fails",
                inputs={{"name": ""}},
                parent_data={{}},
                execute_assertion=ExecuteAssertion(
                    success=False, outputs={{"ex_data": "input 'name' is empty"}}
                ),
                schedule_assertion=None,
            ),
        ]
"""

_FORM = """(function () {{
    // Front-end form of {name}_hello: one text input bound to the "name" key.
    $.atoms["{name}_hello"] = [{{tag_code: "name", type: "input", attrs: {{name: "Name"}}}}];
}})();
"""


def scaffold_files(name: str) -> Dict[str, str]:
    """``{relative path: content}`` of a new plugin app called ``name``."""
    class_name = "".join(part.title() for part in name.split("_")) or name
    values = {"name": name, "class_name": class_name}
    return {
        "__init__.py": "",
        "apps.py": _APPS.format(**values),
        "migrations/__init__.py": "",
        "components/__init__.py": "",
        "components/collections/__init__.py": "",
        "components/collections/plugins.py": _PLUGINS.format(**values),
        "tests/__init__.py": "",
        "tests/components/__init__.py": "",
        "tests/components/collections/__init__.py": "",
        "tests/components/collections/test_plugins.py": _TEST.format(**values),
        f"static/{name}/hello.js": _FORM.format(**values),
    }
