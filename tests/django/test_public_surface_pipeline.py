"""Pins the public surface of the ``pipeline`` package (the Django half of the contract).

Same checks as ``tests/unit/test_public_surface.py`` (which covers ``bamboo_engine``), run here because
importing ``pipeline`` models needs the Django setup this package's conftest provides.
"""

import importlib

import pytest

from tests.unit.test_public_surface import COMPAT, SURFACE, _describe, _mismatches

# Every module is delivered; a name to leave out while its feature waits would be listed here.
NOT_IMPLEMENTED: set = set()


def _pipeline_modules(table):
    return [m for m in table if m.startswith("pipeline") and m not in NOT_IMPLEMENTED]


SURFACE_CASES = [
    pytest.param(module, name, id=f"{module}:{name}")
    for module in _pipeline_modules(SURFACE)
    for name in SURFACE[module]
]
COMPAT_CASES = [
    pytest.param(module, name, id=f"{module}:{name}")
    for module in _pipeline_modules(COMPAT)
    for name in COMPAT[module]
]


@pytest.mark.parametrize(("module_name", "name"), SURFACE_CASES)
def test_pipeline_surface_matches(module_name, name):
    module = importlib.import_module(module_name)
    got = _describe(module, name)
    assert got is not None, f"{module_name}.{name} is missing"
    problems = _mismatches(SURFACE[module_name][name], got)
    assert not problems, f"{module_name}.{name}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize(("module_name", "name"), COMPAT_CASES)
def test_pipeline_compat_name_exists(module_name, name):
    module = importlib.import_module(module_name)
    assert hasattr(module, name), f"{module_name} has no attribute {name!r}"


def test_every_surface_module_of_pipeline_is_checked():
    # Every pipeline module of surface.json is delivered; only contrib features listed above wait.
    assert set(_pipeline_modules(SURFACE)) == {m for m in SURFACE if m.startswith("pipeline")}
    assert len(COMPAT_CASES) >= 190
