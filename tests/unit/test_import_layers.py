"""The layers of the shipped packages, and no import cycle among their modules.

* ``bamboo_engine`` (the engine core) imports nothing of Django, Celery, kombu or ``pipeline``;
* ``bamboo_engine`` and ``pipeline`` (the distribution) never import ``playground``, ``tests`` or
  ``benchmark``, which the wheel does not ship.

Read from the source of every module (:mod:`tests.unit.import_graph`: imports at any depth, and dotted
strings that name a module), and for the engine also checked by importing every module with Django,
Celery and kombu blocked, in a fresh interpreter.
"""

import json
import subprocess
import sys
import textwrap

import pytest

from tests.unit.import_graph import REPO_ROOT, SHIPPED, cycles, parse_modules, root_of

BLOCKED = ("django", "celery", "kombu")
#: Top-level packages each shipped package must never import.
FORBIDDEN = {
    "bamboo_engine": {*BLOCKED, "pipeline", "playground", "tests", "benchmark"},
    "pipeline": {"playground", "tests", "benchmark"},
}
#: Never named in a dotted string of shipped code either (``import_module("playground.x")``).
NOT_SHIPPED = ("playground", "tests", "benchmark")

# Runs in a fresh interpreter so nothing imported by other tests (or by pytest plugins) leaks in.
_SCRIPT = textwrap.dedent(
    """
    import importlib, importlib.abc, json, pkgutil, sys, traceback

    BLOCKED = {blocked!r}

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):
            if fullname.split(".")[0] in BLOCKED:
                raise ImportError(f"{{fullname}} is blocked: bamboo_engine must stay pure Python")
            return None

    sys.meta_path.insert(0, Blocker())
    for name in BLOCKED:
        sys.modules[name] = None

    import bamboo_engine

    errors = {{}}

    def on_error(name):
        errors[name] = traceback.format_exc(limit=-3)

    modules = ["bamboo_engine"]
    for info in pkgutil.walk_packages(bamboo_engine.__path__, "bamboo_engine.", onerror=on_error):
        modules.append(info.name)
    for name in modules:
        try:
            importlib.import_module(name)
        except BaseException:
            errors[name] = traceback.format_exc(limit=-3)
    print(json.dumps({{"modules": modules, "errors": errors}}))
    """
).format(blocked=BLOCKED)


def _run(script):
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- engine, imported for real
def test_every_engine_module_imports_without_django_celery_kombu():
    report = _run(_SCRIPT)
    # Guard against a vacuous pass: discovery must reach nested packages.
    nested = {"bamboo_engine.states", "bamboo_engine.eri.models.node", "bamboo_engine.eri.interfaces.plugin"}
    assert nested <= set(report["modules"])
    failures = "\n\n".join(f"{name}:\n{error}" for name, error in sorted(report["errors"].items()))
    assert not report["errors"], f"modules failing to import without {BLOCKED}:\n{failures}"


def test_blocker_really_blocks():
    probe = _SCRIPT.split("import bamboo_engine")[0] + textwrap.dedent(
        """
        import json
        results = {}
        for name in BLOCKED:
            try:
                __import__(name)
                results[name] = "imported"
            except ImportError:
                results[name] = "blocked"
        print(json.dumps(results))
        """
    )
    assert _run(probe) == dict.fromkeys(BLOCKED, "blocked")


# ------------------------------------------------------------------------------------- AST layers
@pytest.fixture(scope="module")
def modules():
    return parse_modules()


def test_every_shipped_module_is_read(modules):
    # Guard against a vacuous pass: nested packages, migrations and both roots are there.
    expected = {
        "bamboo_engine.eri.models.node",
        "pipeline.eri.imp.state",
        "pipeline.eri.migrations.0001_initial",
        "pipeline.components.collections.examples",
    }
    assert expected <= set(modules)
    assert {root_of(name) for name in modules} == set(SHIPPED)


@pytest.mark.parametrize("package", SHIPPED)
def test_no_shipped_module_imports_a_forbidden_layer(modules, package):
    violations = [
        f"{module.path.relative_to(REPO_ROOT)}:{line} imports {target}"
        for module in modules.values()
        if root_of(module.name) == package
        for target, line, _ in module.imports
        if root_of(target) in FORBIDDEN[package]
    ]
    assert not violations, f"{package} must not import {sorted(FORBIDDEN[package])}:\n" + "\n".join(
        violations
    )


def test_no_shipped_module_names_an_unshipped_module_in_a_string(modules):
    violations = [
        f"{module.path.relative_to(REPO_ROOT)}:{line} names {text!r}"
        for module in modules.values()
        for text, line in module.dotted_strings
        if "." in text and root_of(text) in NOT_SHIPPED
    ]
    assert not violations, "the wheel ships no playground, tests or benchmark:\n" + "\n".join(violations)


def test_no_import_cycle_among_shipped_modules(modules):
    found = cycles(modules)
    assert not found, "import cycles (each line: the modules of one cycle):\n" + "\n".join(
        " <-> ".join(cycle) for cycle in found
    )


# ------------------------------------------------------------------------ the checker checks itself
def _write(root, files):
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))


def test_the_reader_resolves_relative_imports_submodules_and_skips_type_checking(tmp_path):
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "from . import sub\n",
            "pkg/sub/__init__.py": "",
            "pkg/sub/a.py": """
                \"\"\"Mentions playground.settings in a docstring only.\"\"\"
                from typing import TYPE_CHECKING
                from .. import other
                from pkg.sub import b
                from pkg.other import helper
                if TYPE_CHECKING:
                    import playground
                def later():
                    import django.db
                    return __import__("tests.helpers")
            """,
            "pkg/sub/b.py": "",
            "pkg/other.py": "def helper(): pass\n",
        },
    )
    module = parse_modules(tmp_path, ["pkg"])["pkg.sub.a"]

    assert [(target, top) for target, _, top in module.imports] == [
        ("typing", True),
        ("pkg.other", True),
        ("pkg.sub.b", True),
        ("pkg.other", True),
        ("django.db", False),
    ]
    assert [text for text, _ in module.dotted_strings] == ["tests.helpers"]
    assert parse_modules(tmp_path, ["pkg"])["pkg"].imports[0][0] == "pkg.sub"


def test_the_reader_finds_cycles_through_lazy_and_from_imports(tmp_path):
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg import b\n",
            "pkg/b.py": "def f():\n    from pkg.c import x\n",
            "pkg/c.py": "import pkg.a\nx = 1\n",
            "pkg/d.py": "from pkg import a\n",
            "pkg/e.py": "from pkg import e\n",
        },
    )

    assert cycles(parse_modules(tmp_path, ["pkg"])) == [["pkg.a", "pkg.b", "pkg.c"], ["pkg.e"]]
