"""The distribution as a new user gets it: the built wheel in a fresh virtualenv, a fresh Django project.

The wheel is built from a copy of the shipped files (the checkout stays untouched) and installed, with its
dependencies from the package index pip is configured with, into a virtualenv outside the checkout.
The project is made with ``django-admin startproject``; its settings get the runtime's apps and
``CELERY_BROKER_URL = "memory://"`` and nothing else (no Celery app, no queue settings). A pipeline of
the example components shipped with ``pipeline`` then runs with ``manage.py run_pipeline`` on the
embedded worker. Nothing of this repository but the wheel is importable there: no ``playground``, no
``tests``.

Marked integration: it installs packages (about half a minute), though it needs no database server or
broker.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("setup.py", "README.md", "bamboo_engine", "pipeline")
APPS = [
    "pipeline",
    "pipeline.eri",
    "pipeline.component_framework",
    "pipeline.variable_framework",
    "pipeline.contrib.plugin_execute",
    "pipeline.contrib.rollback",
    "django_celery_beat",
]
SETTINGS_TAIL = f"""
INSTALLED_APPS += {APPS!r}
CELERY_BROKER_URL = "memory://"
"""
# Built with the installed package: start -> example_component -> pipe_example_component -> end, the pipe
# node's "greeting" input rendered from the pipeline data and mapped to the output ${echoed}.
TREE_SCRIPT = """
import json
from bamboo_engine.builder import (Data, EmptyEndEvent, EmptyStartEvent, NodeOutput, ServiceActivity, Var,
                                   build_tree)

start, end = EmptyStartEvent(), EmptyEndEvent()
first = ServiceActivity(component_code="example_component", name="placeholder")
pipe = ServiceActivity(component_code="pipe_example_component", name="pipe")
pipe.component.inputs.greeting = Var(type=Var.SPLICE, value="hello ${name}")
start.extend(first).extend(pipe).extend(end)
data = Data()
data.inputs["${name}"] = Var(type=Var.PLAIN, value="fresh project")
data.inputs["${echoed}"] = NodeOutput(type=Var.PLAIN, source_act=pipe.id, source_key="greeting")
data.outputs = ["${echoed}"]
print(json.dumps(build_tree(start, data=data, id="freshinstallpipeline")))
"""


def _run(args, cwd, env, timeout=300):
    completed = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert (
        completed.returncode == 0
    ), f"{' '.join(map(str, args))} failed:\n{completed.stdout}\n{completed.stderr}"
    return completed.stdout


def _clean_env() -> dict:
    """The environment of a user's shell: nothing pointing back at this checkout or its settings."""
    return {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV")
        and not key.startswith("BAMBOO_")
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in SHIPPED:
        path = REPO_ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, source / name)
    dist = tmp_path_factory.mktemp("dist")
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)], source, None
    )
    (built,) = dist.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def fresh_python(wheel, tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], venv, None)
    python = venv / "bin" / "python"
    # The checkout's pip installs into the new environment (``--python``): no pip bootstrap needed there.
    _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)],
        venv,
        _clean_env(),
    )
    return python


def test_the_wheel_ships_only_the_engine_and_the_runtime(wheel):
    with zipfile.ZipFile(wheel) as archive:
        top_levels = {name.split("/", 1)[0] for name in archive.namelist()}

    assert {top for top in top_levels if not top.endswith(".dist-info")} == {"bamboo_engine", "pipeline"}


def test_a_startproject_project_runs_a_pipeline_on_the_embedded_worker(fresh_python, tmp_path):
    env = _clean_env()
    bin_dir = fresh_python.parent
    _run([str(bin_dir / "django-admin"), "startproject", "freshproject", str(tmp_path)], tmp_path, env)
    settings = tmp_path / "freshproject" / "settings.py"
    settings.write_text(settings.read_text() + SETTINGS_TAIL)
    manage = [str(fresh_python), "manage.py"]

    probe = "import importlib.util as u; print([u.find_spec(m) is None for m in ('playground', 'tests')])"
    assert _run([str(fresh_python), "-c", probe], tmp_path, env).strip() == "[True, True]"
    _run([*manage, "migrate", "--verbosity", "0"], tmp_path, env)
    # The contrib apps' migrations are in the wheel.
    assert "[X] 0001_initial" in _run([*manage, "showmigrations", "rollback"], tmp_path, env)
    (tmp_path / "tree.json").write_text(_run([str(fresh_python), "-c", TREE_SCRIPT], tmp_path, env))
    output = _run([*manage, "run_pipeline", "tree.json", "--timeout", "120"], tmp_path, env)

    assert "pipeline freshinstallpipeline: FINISHED" in output, output
    assert "pipe_example_component" in output and "example_component" in output
    outputs_line = next(line for line in output.splitlines() if line.startswith("outputs: "))
    assert json.loads(outputs_line[len("outputs: ") :]) == {"${echoed}": "hello fresh project"}
    states = _run([*manage, "pipeline_states", "freshinstallpipeline"], tmp_path, env)
    assert states.count("FINISHED") == 5, states  # the pipeline, both events and both activities
