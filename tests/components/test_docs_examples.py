"""The ``python`` blocks of the plugin guides run as written (and the test classes they define pass)."""

import re
import sys
import types
import unittest
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
GUIDES = ["writing-a-component.md", "testing-a-component.md", "lazy-variables.md"]
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _run_guide(name):
    module = types.ModuleType(f"docs_example_{name.replace('-', '_').removesuffix('.md')}")
    sys.modules[module.__name__] = module
    try:
        for index, block in enumerate(PYTHON_BLOCK.findall((DOCS / name).read_text())):
            exec(compile(block, f"{name} block #{index + 1}", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module


@pytest.mark.parametrize("guide", GUIDES)
def test_guide_examples_run(guide):
    module = _run_guide(guide)

    test_classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, unittest.TestCase)
        and value.__module__ == module.__name__
    ]
    for test_class in test_classes:
        result = unittest.TestResult()
        unittest.defaultTestLoader.loadTestsFromTestCase(test_class).run(result)
        assert result.wasSuccessful(), result.failures + result.errors
    if guide == "testing-a-component.md":
        assert [cls.__name__ for cls in test_classes] == ["JobWatchComponentTest"]
