"""The operator commands (``manage.py run_pipeline`` ...) on the embedded default, in subprocesses."""

import json
import re

import pytest

from bamboo_engine.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, Var, build_tree
from playground.demo import richer_tree
from tests.demo.helpers import by_node, manage, run_in_one_process, tables

COMMANDS_TAKING_AN_ID = [
    "pipeline_states",
    "pause_pipeline",
    "resume_pipeline",
    "revoke_pipeline",
    "retry_node",
    "skip_node",
    "callback_node",
]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("commands") / "commands.sqlite3"
    migrated = manage(path, "migrate", "--verbosity", "0")
    assert migrated.returncode == 0, migrated.stderr
    return path


def _write(tmp_path, name: str, tree: dict):
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(tree), encoding="utf-8")
    return path


def _single_node_tree(code: str, **inputs) -> dict:
    start, end = EmptyStartEvent(name="start"), EmptyEndEvent(name="end")
    node = ServiceActivity(component_code=code, name=code)
    for key, value in inputs.items():
        setattr(node.component.inputs, key, Var(type=Var.PLAIN, value=value))
    start.extend(node).extend(end)
    return build_tree(start)


def _ok(result) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _refused(result, *fragments: str) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("CommandError: "), result.stderr
    for fragment in fragments:
        assert fragment in error
    # the api's own traceback is not shown: the CommandError says it all
    assert "Traceback" not in result.stderr
    return error


def _states(output: str) -> dict:
    return by_node(tables(output, "NODE")[-1])


def _pipeline_line(output: str) -> str:
    return re.findall(r"^pipeline \S+: (\w+)$", output, re.MULTILINE)[-1]


def test_run_retry_and_callback_take_the_richer_pipeline_to_its_end(db, tmp_path):
    tree, ids = richer_tree()
    path = _write(tmp_path, "richer", tree)
    started = _ok(manage(db, "run_pipeline", str(path)))
    assert f"started pipeline {tree['id']}" in started
    states = _states(started)
    assert states["factorial"]["STATE"] == "FAILED" and states["wait for approval"]["STATE"] == "RUNNING"
    assert states["factorial"]["ID"] == ids["factorial"]
    assert _pipeline_line(started) == "RUNNING" and "outputs: (none yet)" in started

    _refused(
        manage(db, "retry_node", ids["approval"]),
        f"retry_node {ids['approval']!r} refused",
        "state is not FAILED, actual RUNNING",
    )
    retried = _ok(manage(db, "retry_node", ids["factorial"], "--inputs", '{"n": 5}'))
    assert f"retry_node {ids['factorial']}: done" in retried
    states = _states(retried)
    assert (states["factorial"]["STATE"], states["factorial"]["RETRY"]) == ("FINISHED", "1")
    assert states["wait for approval"]["STATE"] == "RUNNING"

    answered = _ok(manage(db, "callback_node", ids["approval"], "--data", '{"ok": true, "by": "test"}'))
    assert _pipeline_line(answered) == "FINISHED"
    assert {row["STATE"] for row in _states(answered).values()} == {"FINISHED"}
    outputs = json.loads(answered.rsplit("outputs: ", 1)[1])
    assert outputs["${factorial}"] == 120
    assert outputs["${approval}"] == {"ok": True, "by": "test"}

    shown = _ok(manage(db, "pipeline_states", tree["id"]))
    assert _states(shown) == _states(answered)
    _refused(manage(db, "pause_pipeline", tree["id"]), "state FINISHED can not transit to SUSPENDED")


def test_run_pipeline_refuses_a_tree_that_already_ran_unless_given_new_ids(db, tmp_path):
    tree = _single_node_tree("example_component", message="hi")
    path = _write(tmp_path, "echo", tree)
    first = _ok(manage(db, "run_pipeline", str(path)))
    assert _pipeline_line(first) == "FINISHED" and 'outputs: {"_result": true' not in first
    _refused(manage(db, "run_pipeline", str(path)), f"pipeline {tree['id']!r} already ran", "--new-ids")
    again = _ok(manage(db, "run_pipeline", str(path), "--new-ids"))
    new_id = re.search(r"started pipeline (\S+)", again).group(1)
    assert new_id != tree["id"] and _pipeline_line(again) == "FINISHED"
    assert _states(again)["example_component"]["ID"] not in first


def test_pause_resume_and_revoke_a_pipeline_waiting_for_a_callback(db, tmp_path):
    tree = _single_node_tree("callback_node")
    root = tree["id"]
    waiting = _ok(manage(db, "run_pipeline", str(_write(tmp_path, "wait", tree))))
    assert _states(waiting)["callback_node"]["STATE"] == "RUNNING"
    assert _pipeline_line(_ok(manage(db, "pause_pipeline", root))) == "SUSPENDED"
    _refused(manage(db, "pause_pipeline", root), "state SUSPENDED can not transit to SUSPENDED")
    assert _pipeline_line(_ok(manage(db, "resume_pipeline", root))) == "RUNNING"
    assert _pipeline_line(_ok(manage(db, "revoke_pipeline", root))) == "REVOKED"
    _refused(manage(db, "resume_pipeline", root), "state is not SUSPENDED, actual REVOKED")


def test_skip_node_finishes_a_failed_node_and_the_run_goes_on(db, tmp_path):
    tree = _single_node_tree("fail_node", message="broken on purpose")
    failed = _ok(manage(db, "run_pipeline", str(_write(tmp_path, "fail", tree))))
    node = _states(failed)["fail_node"]
    assert (node["STATE"], node["NOTE"]) == ("FAILED", "broken on purpose")
    skipped = _ok(manage(db, "skip_node", node["ID"]))
    assert _states(skipped)["fail_node"]["SKIP"] == "yes"
    assert _pipeline_line(skipped) == "FINISHED"


def test_unknown_ids_are_named_in_the_error(db):
    commands = [[name, "no-such-id"] for name in COMMANDS_TAKING_AN_ID]
    for command, (ok, message) in zip(commands, run_in_one_process(db, commands), strict=True):
        assert not ok and message.startswith(command[0]), message
        assert "unknown id 'no-such-id'" in message


def test_pipeline_states_of_a_node_id_names_its_pipeline(db, tmp_path):
    tree = _single_node_tree("example_component", message="hi")
    node_id = next(iter(tree["activities"]))
    _ok(manage(db, "run_pipeline", str(_write(tmp_path, "node", tree))))
    _refused(manage(db, "pipeline_states", node_id), f"is a node of pipeline {tree['id']!r}")


def test_bad_files_and_json_arguments_are_reported(db, tmp_path):
    (tmp_path / "garbage.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    cases = {
        "can not read": ["run_pipeline", str(tmp_path / "missing.json")],
        "tree: invalid JSON": ["run_pipeline", str(tmp_path / "garbage.json")],
        "not a pipeline tree": ["run_pipeline", str(tmp_path / "list.json")],
        "--inputs: expected a JSON object": ["retry_node", "some-node", "--inputs", "[1]"],
        "--data: invalid JSON": ["callback_node", "some-node", "--data", "{oops"],
        "--data: can not read": ["callback_node", "some-node", "--data", "@" + str(tmp_path / "no.json")],
    }
    results = run_in_one_process(db, list(cases.values()))
    for expected, (ok, message) in zip(cases, results, strict=True):
        assert not ok and expected in message, message
