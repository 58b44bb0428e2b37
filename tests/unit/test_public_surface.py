"""Pins the public surface: names, kinds and signatures of tests/data/surface.json, and every name of
the compatibility checklist of upstream names (tests/data/compat_surface.json).

Signatures are compared as ``str(inspect.signature(obj))`` with the return
annotation dropped and the ``bamboo_engine.`` / ``pipeline.`` prefixes stripped.
"""

import importlib
import inspect
import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "data"
SURFACE = json.loads((DATA / "surface.json").read_text())
COMPAT = json.loads((DATA / "compat_surface.json").read_text())

# pipeline.* modules need Django set up before import: tests/django/test_public_surface_pipeline.py checks
# them with the helpers of this module. Nothing here imports Django.
DELIVERED_PIPELINE_MODULES: set = set()

# How surface.json was recorded for each module: which members
# count as published and how they are described. "listed"/"all": any attribute, classes described with
# their methods; "functions": functions defined in the module; "constants": upper-case str values;
# "classes"/"models": classes defined in the same top-level package.
MODULE_MODES = {
    "bamboo_engine.api": "functions",
    "bamboo_engine.engine": "listed",
    "bamboo_engine.builder": "all",
    "bamboo_engine.states": "constants",
    "bamboo_engine.eri.interfaces": "classes",
    "bamboo_engine.eri.models": "classes",
    "bamboo_engine.eri": "listed",
    "bamboo_engine.exceptions": "classes",
    "bamboo_engine.validator.api": "functions",
    "bamboo_engine.template": "listed",
    "bamboo_engine.utils.boolrule": "listed",
    "pipeline.eri.runtime": "listed",
    "pipeline.eri.models": "models",
    "pipeline.component_framework.component": "listed",
    "pipeline.core.flow.activity": "listed",
    "pipeline.core.flow.io": "classes",
    "pipeline.core.data.var": "listed",
    "pipeline.component_framework.test": "classes",
}

OUR_PACKAGES = ("bamboo_engine", "pipeline")


def _selected(module: str) -> bool:
    return module.startswith("bamboo_engine") or module in DELIVERED_PIPELINE_MODULES


def _signature(obj):
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return None


def _normalise(signature):
    return (signature or "").split(" -> ")[0].replace("bamboo_engine.", "").replace("pipeline.", "")


def _describe_class(cls):
    methods = {}
    for name, member in inspect.getmembers(cls):
        if name.startswith("_") and name != "__init__":
            continue
        is_routine = inspect.isfunction(member) or inspect.ismethod(member)
        if is_routine and (getattr(member, "__module__", "") or "").split(".")[0] in OUR_PACKAGES:
            methods[name] = _signature(member)
    described = {"kind": "class", "methods": methods}
    if hasattr(cls, "_meta") and hasattr(cls._meta, "get_fields"):
        described["fields"] = sorted(f.name for f in cls._meta.get_fields() if getattr(f, "concrete", False))
    return described


def _describe(module, name):
    """Describe ``module.name`` as the check tool would, or None when it does not count as published."""
    mode = MODULE_MODES.get(module.__name__, "all")
    obj = getattr(module, name, None)
    if obj is None:
        return None
    if mode == "functions":
        is_own_function = inspect.isfunction(obj) and obj.__module__ == module.__name__
        return {"kind": "function", "signature": _signature(obj)} if is_own_function else None
    if mode == "constants":
        return {"kind": "constant", "value": obj} if isinstance(obj, str) and name.isupper() else None
    if mode in ("classes", "models"):
        top_package = module.__name__.split(".")[0]
        return (
            _describe_class(obj) if inspect.isclass(obj) and obj.__module__.startswith(top_package) else None
        )
    if inspect.isclass(obj):
        return _describe_class(obj)
    return {"kind": type(obj).__name__, "signature": _signature(obj) if callable(obj) else None}


def _mismatches(want, got):
    problems = []
    if want.get("kind") and want["kind"] != got.get("kind"):
        problems.append(f"kind: want {want['kind']} got {got.get('kind')}")
    if "value" in want and want["value"] != got.get("value"):
        problems.append(f"value: want {want['value']!r} got {got.get('value')!r}")
    if want.get("signature") and _normalise(want["signature"]) != _normalise(got.get("signature")):
        problems.append(f"signature: want {want['signature']} got {got.get('signature')}")
    got_methods = got.get("methods", {})
    for method, signature in want.get("methods", {}).items():
        if method not in got_methods:
            problems.append(f"method {method}: missing")
        elif _normalise(signature) != _normalise(got_methods[method]):
            problems.append(f"method {method}: want {signature} got {got_methods[method]}")
    missing_fields = sorted(set(want.get("fields", [])) - set(got.get("fields", [])))
    if missing_fields:
        problems.append(f"missing fields {missing_fields}")
    return problems


SURFACE_CASES = [
    pytest.param(module, name, id=f"{module}:{name}")
    for module, names in SURFACE.items()
    if _selected(module)
    for name in names
]


@pytest.mark.parametrize(("module_name", "name"), SURFACE_CASES)
def test_surface_matches(module_name, name):
    module = importlib.import_module(module_name)
    got = _describe(module, name)
    assert (
        got is not None
    ), f"{module_name}.{name} is missing (or not published the way surface.json records it)"
    problems = _mismatches(SURFACE[module_name][name], got)
    assert not problems, f"{module_name}.{name}:\n  " + "\n  ".join(problems)


COMPAT_CASES = [
    pytest.param(module, name, id=f"{module}:{name}")
    for module, names in COMPAT.items()
    if _selected(module)
    for name in names
]


@pytest.mark.parametrize(("module_name", "name"), COMPAT_CASES)
def test_compat_name_exists(module_name, name):
    module = importlib.import_module(module_name)
    assert hasattr(module, name), f"{module_name} has no attribute {name!r}"


def test_case_lists_are_not_empty():
    # Guards against a truncated data file silently shrinking the checks.
    assert len(SURFACE_CASES) >= 172
    assert len(COMPAT_CASES) >= 260
