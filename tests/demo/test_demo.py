"""README command 1: ``python -m playground.demo`` on the embedded default (SQLite, in-process worker)."""

import json

import pytest

from tests.demo.helpers import by_node, run_python, tables

QUICKSTART_NODES = ["start", "say hello", "end"]
RICHER_NODES = [
    "start",
    "route by amount",
    "big order",
    "join route",
    "fork",
    "greeting subprocess",
    "sub start",
    "greet",
    "sub end",
    "factorial",
    "wait for approval",
    "join fork",
    "summary",
    "end",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One run of the demo on a fresh database (it migrates it itself)."""
    return run_python(tmp_path_factory.mktemp("demo") / "demo.sqlite3", "-m", "playground.demo")


TIMEOUT_NODES = ["start", "slow call", "after the timeout", "end"]


def test_demo_exits_zero_and_says_every_pipeline_finished(demo):
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert demo.stdout.rstrip().endswith("demo OK: every pipeline finished as expected")
    assert "in-process worker (memory:// broker)" in demo.stdout


def test_demo_prints_the_quick_start_states_and_output(demo):
    quickstart = tables(demo.stdout, "NODE")[0]
    assert [row["NODE"] for row in quickstart] == QUICKSTART_NODES
    assert {row["STATE"] for row in quickstart} == {"FINISHED"}
    assert by_node(quickstart)["say hello"]["TYPE"] == "example_component"
    outputs = tables(demo.stdout, "KEY")[0]
    assert outputs == [{"KEY": "${message}", "VALUE": '"hello bamboo"'}]


def test_demo_shows_the_richer_run_stopped_for_the_operator(demo):
    waiting = by_node(tables(demo.stdout, "NODE")[1])
    assert waiting["factorial"]["STATE"] == "FAILED"
    assert waiting["factorial"]["NOTE"] == "n must be a non-negative integer, got -1"
    assert waiting["wait for approval"]["STATE"] == "RUNNING"
    assert waiting["greet"]["STATE"] == "FINISHED"
    # the branch the exclusive gateway did not take never ran
    assert "small order" not in waiting
    assert 'retry_node with new inputs {"n": 6}' in demo.stdout
    assert "waits for a callback; callback with" in demo.stdout


def test_demo_prints_the_richer_final_states_and_outputs(demo):
    final = tables(demo.stdout, "NODE")[2]
    # parallel branches start in any order: compare the names, then the sequential head and tail
    names = [row["NODE"] for row in final]
    assert sorted(names) == sorted(RICHER_NODES)
    assert names[:5] == RICHER_NODES[:5] and names[-3:] == RICHER_NODES[-3:]
    assert names.index("greet") == names.index("greeting subprocess") + 2
    assert {row["STATE"] for row in final} == {"FINISHED"}
    assert by_node(final)["factorial"]["RETRY"] == "1"
    outputs = {row["KEY"]: json.loads(row["VALUE"]) for row in tables(demo.stdout, "KEY")[1]}
    assert outputs == {
        "${approval}": {"ok": True, "by": "playground.demo"},
        "${factorial}": 720,
        "${greeting}": "hello alice",
        "${route}": "big order of 250",
        "${summary}": "ORDER FOR ALICE: hello alice, n! = 720",
    }


def test_demo_tells_how_to_open_the_admin(demo):
    for line in ("python manage.py createsuperuser", "python manage.py runserver", "/admin/"):
        assert line in demo.stdout
    assert demo.stdout.count("python manage.py pipeline_states p") == 3


def test_demo_shows_a_timeout_firing(demo):
    final = tables(demo.stdout, "NODE")[3]
    assert [row["NODE"] for row in final] == TIMEOUT_NODES
    assert {row["STATE"] for row in final} == {"FINISHED"}
    assert by_node(final)["slow call"]["SKIP"] == "yes"
    assert by_node(final)["after the timeout"]["SKIP"] == ""
    assert "-> 'slow call' was failed and skipped by its timeout: forced fail by bamboo_engine" in demo.stdout
    assert "ran longer than its timeout of 2 s" in demo.stdout


def test_demo_runs_the_timer_example(tmp_path):
    run = run_python(tmp_path / "timer.sqlite3", "-m", "playground.demo", "--timer")
    assert run.returncode == 0, run.stdout + run.stderr
    [final] = tables(run.stdout, "NODE")
    assert [(row["NODE"], row["STATE"]) for row in final] == [
        ("start", "FINISHED"),
        ("long task", "FINISHED"),
        ("end", "FINISHED"),
    ]
    assert "timer fired: the node is still running, it goes on" in run.stdout


def test_demo_prints_a_tree_as_json(tmp_path):
    printed = run_python(tmp_path / "unused.sqlite3", "-m", "playground.demo", "--tree", "quickstart")
    assert printed.returncode == 0, printed.stderr
    tree = json.loads(printed.stdout)
    assert [node["component"]["code"] for node in tree["activities"].values()] == ["example_component"]
    assert tree["data"]["outputs"] == ["${message}"]
