"""The engine core is pure Python: every bamboo_engine module imports with Django/Celery/kombu blocked."""

import json
import subprocess
import sys
import textwrap

BLOCKED = ("django", "celery", "kombu")

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
