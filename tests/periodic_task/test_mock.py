"""``pipeline.contrib.mock.api.update_node_outputs`` on the Django runtime (runs execute eagerly)."""

import pytest

from bamboo_engine import api as engine_api
from bamboo_engine.builder import Data, NodeOutput, Var
from pipeline.contrib.exceptions import UpdatePipelineContextException
from pipeline.contrib.mock.api import update_node_outputs
from pipeline.eri.runtime import BambooDjangoRuntime
from tests.contract.trees import activity, linear_tree, splice, subprocess

pytestmark = pytest.mark.django_db(transaction=True)


def _failed_run(in_subprocess=False):
    """``fail_node`` whose output ``code`` feeds ``${a_code}``, then a node echoing ``${a_code}``."""
    failing = activity("fail_node")
    echo = activity("debug_no_schedule_node", seen=splice("${a_code}"))
    data = Data()
    data.inputs["${a_code}"] = NodeOutput(source_act=failing.id, source_key="code", type=Var.PLAIN)
    data.inputs["${root_only}"] = Var(type=Var.PLAIN, value="original")
    if in_subprocess:
        tree = linear_tree(subprocess(failing, echo, data=data))
    else:
        tree = linear_tree(failing, echo, data=data)
    runtime = BambooDjangoRuntime()
    assert engine_api.run_pipeline(runtime, tree).result
    assert runtime.get_state(failing.id).name == "FAILED"
    return runtime, tree["id"], failing.id, echo.id


@pytest.mark.parametrize("in_subprocess", [False, True], ids=["root", "subprocess"])
def test_mocked_outputs_reach_the_next_node_after_a_skip(eager, in_subprocess):
    runtime, root_id, failing_id, echo_id = _failed_run(in_subprocess)

    result = update_node_outputs(root_id, failing_id, {"${code}": 200, "extra": "x"})

    assert result.result, result.exc_trace
    outputs = runtime.get_execution_data_outputs(failing_id)
    assert outputs["code"] == 200 and outputs["extra"] == "x"
    assert "ex_data" in outputs  # merged into what the failure left
    assert engine_api.skip_node(runtime, failing_id).result
    assert runtime.get_state(echo_id).name == "FINISHED"
    assert str(runtime.get_execution_data_outputs(echo_id)["seen"]) == "200"


def test_a_root_context_key_of_that_name_is_set_too(eager):
    runtime, root_id, failing_id, _ = _failed_run()
    assert update_node_outputs(root_id, failing_id, {"${root_only}": "mocked"}).result
    values = runtime.get_context_values(root_id, {"${root_only}"})
    assert [v.value for v in values] == ["mocked"]


@pytest.mark.parametrize("key", ["${_system}", "_system", "${_system.id}"])
def test_the_system_variable_is_protected(eager, key):
    runtime, root_id, failing_id, _ = _failed_run()
    before = runtime.get_execution_data_outputs(failing_id)
    result = update_node_outputs(root_id, failing_id, {key: {}, "${code}": 1})
    assert not result.result and isinstance(result.exc, UpdatePipelineContextException)
    assert "_system" in str(result.exc)
    assert runtime.get_execution_data_outputs(failing_id) == before


def test_refused_unless_the_node_failed_and_the_pipeline_runs(eager):
    runtime, root_id, failing_id, echo_id = _failed_run()
    # The echo node has not run: no state.
    not_run = update_node_outputs(root_id, echo_id, {"${code}": 1})
    assert not not_run.result and echo_id in str(not_run.exc)

    assert engine_api.skip_node(runtime, failing_id).result  # the pipeline finishes
    assert runtime.get_state(root_id).name == "FINISHED"
    finished = update_node_outputs(root_id, failing_id, {"${code}": 1})
    assert not finished.result and isinstance(finished.exc, UpdatePipelineContextException)
    assert "FINISHED" in str(finished.exc)


def test_refused_for_a_node_of_another_pipeline_or_an_unknown_pipeline(eager):
    _, root_id, _, _ = _failed_run()
    _, _, other_failing_id, _ = _failed_run()
    foreign = update_node_outputs(root_id, other_failing_id, {"${code}": 1})
    assert not foreign.result and isinstance(foreign.exc, UpdatePipelineContextException)
    unknown = update_node_outputs("p" + "0" * 32, other_failing_id, {"${code}": 1})
    assert not unknown.result and "does not exist" in str(unknown.exc)


def test_a_node_still_running_is_refused(eager):
    waiting = activity("callback_node")
    tree = linear_tree(waiting)
    runtime = BambooDjangoRuntime()
    assert engine_api.run_pipeline(runtime, tree).result
    assert runtime.get_state(waiting.id).name == "RUNNING"
    result = update_node_outputs(tree["id"], waiting.id, {"${code}": 5})
    assert not result.result and "RUNNING" in str(result.exc)
