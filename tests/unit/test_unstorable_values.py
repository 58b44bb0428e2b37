"""A value the runtime cannot store fails its node through the normal failure path (in-memory runtime).

The runtime raises ``UnstorableValueError``; the engine checks a service's data right after each
``execute``/``schedule`` call, drops what cannot be stored, names it in ``ex_data`` and fails the node
as if the service had returned False. Hooks whose changes are written back drop such values too.
"""

import datetime

import pytest

from bamboo_engine import api, states
from bamboo_engine.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, build_tree
from bamboo_engine.plugin import Service
from bamboo_engine.testing import InMemoryRuntime


class Handle:
    """An object no runtime stores (pickle off)."""


class StoresAHandle(Service):
    __need_run_hook__ = True

    def execute(self, data, parent_data):
        data.outputs.kept = datetime.date(2024, 5, 1)
        data.outputs.handle = Handle()
        return True

    def node_execute_fail(self, data, parent_data, callback_data=None):
        data.outputs.fail_hook_ran = True
        data.outputs.fail_hook_handle = Handle()  # added after the check: dropped as well
        return True


class MutatesItsInputs(Service):
    def execute(self, data, parent_data):
        data.inputs.connection = Handle()
        return True


class FinishHookStoresAHandle(Service):
    __need_run_hook__ = True

    def execute(self, data, parent_data):
        return True

    def node_finish(self, data, parent_data, callback_data=None):
        data.outputs.finish_mark = datetime.datetime(2024, 5, 1, 12, 0)
        data.outputs.finish_handle = Handle()
        return True


@pytest.fixture
def rt():
    runtime = InMemoryRuntime()  # raise_task_errors: an exception out of a task fails the test
    runtime.register_service("stores_a_handle", StoresAHandle)
    runtime.register_service("mutates_inputs", MutatesItsInputs)
    runtime.register_service("finish_hook_handle", FinishHookStoresAHandle)
    yield runtime
    runtime.close()


def run(rt, code, **activity_options):
    start, act, end = (
        EmptyStartEvent(),
        ServiceActivity(component_code=code, **activity_options),
        EmptyEndEvent(),
    )
    start.extend(act).extend(end)
    tree = build_tree(start)
    assert api.run_pipeline(rt, tree).result
    rt.run_until_idle()
    return tree["id"], act.id


def test_the_node_fails_with_fail_hooks_and_the_process_sleeps(rt):
    root_id, act_id = run(rt, "stores_a_handle")

    assert rt.get_state(act_id).name == states.FAILED
    assert rt.get_state(root_id).name == states.RUNNING
    outputs = rt.get_execution_data_outputs(act_id)
    first, after_hook = outputs["ex_data"].split("\n")
    assert first == (
        f"node({act_id}) failed to store its data: outputs.handle of type {__name__}.Handle cannot be "
        "stored: the runtime stores JSON values plus datetime, date, time, timedelta, Decimal, UUID, set, "
        "frozenset, tuple and bytes; pass allow_pickle=True to the runtime to store it with pickle"
    )
    assert after_hook.startswith(f"node({act_id}) failed to store its data: outputs.fail_hook_handle of type")
    assert (outputs["kept"], outputs["_result"], outputs["fail_hook_ran"]) == (
        datetime.date(2024, 5, 1),
        False,
        True,
    )
    assert "handle" not in outputs and "fail_hook_handle" not in outputs
    assert ("node_execute_fail", {"root_pipeline_id": root_id, "node_id": act_id}) in rt.hook_log
    assert rt.get_sleep_process_info_with_current_node_id(act_id) is not None
    assert rt.task_errors == []


def test_an_error_ignorable_node_is_ignored_like_any_failure(rt):
    root_id, act_id = run(rt, "stores_a_handle", error_ignorable=True)

    state = rt.get_state(act_id)
    assert (state.name, state.error_ignored) == (states.FINISHED, True)
    assert rt.get_state(root_id).name == states.FINISHED
    assert "outputs.handle" in rt.get_execution_data_outputs(act_id)["ex_data"]


def test_unstorable_inputs_are_named_too(rt):
    _, act_id = run(rt, "mutates_inputs")

    assert rt.get_state(act_id).name == states.FAILED
    assert (
        f"node({act_id}) failed to store its data: inputs.connection of type"
        in (rt.get_execution_data_outputs(act_id)["ex_data"])
    )
    assert "connection" not in rt.get_execution_data_inputs(act_id)


def test_a_persisted_hook_keeps_what_can_be_stored(rt):
    root_id, act_id = run(rt, "finish_hook_handle")

    assert rt.get_state(root_id).name == states.FINISHED
    outputs = rt.get_execution_data_outputs(act_id)
    assert outputs["finish_mark"] == datetime.datetime(2024, 5, 1, 12, 0)
    assert "finish_handle" not in outputs
