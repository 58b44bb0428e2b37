"""A lazy variable whose ``get_value()`` raises fails the node that needs it.

The project's ``compat_raising`` variable stands for a variable whose backing service is down. Upstream
fails the node instead of going on with the variable's raw value: an activity with "inputs hydrate
failed(...)", a SubProcess with "context hydrate failed(...)" and empty execution inputs.
"""

import pytest

from bamboo_engine.builder import (
    Data,
    DataInput,
    EmptyEndEvent,
    EmptyStartEvent,
    Params,
    ServiceActivity,
    SubProcess,
    Var,
    build_tree,
)
from tests.compat.harness import execution_data, run, wait_states

pytestmark = pytest.mark.integration


def raising_data() -> Data:
    data = Data()
    data.inputs["${source}"] = Var(type=Var.LAZY, value="inventory", custom_type="compat_raising")
    return data


def test_raising_lazy_variable_fails_the_activity_using_it(worker):
    start, end = EmptyStartEvent(), EmptyEndEvent()
    act = ServiceActivity(component_code="compat_noop")
    act.component.inputs.source = Var(type=Var.SPLICE, value="${source}")
    start.extend(act).extend(end)

    root_id = run(build_tree(start, data=raising_data()))

    wait_states({act.id: "FAILED"}, root_id, worker)
    ex_data = str(execution_data(act.id)["outputs"].get("ex_data", ""))
    assert ex_data.startswith("inputs hydrate failed("), ex_data
    assert "variable source unreachable" in ex_data, ex_data


def test_raising_lazy_variable_fails_the_subprocess_passing_it(worker):
    child_start, child_end = EmptyStartEvent(), EmptyEndEvent()
    child_act = ServiceActivity(component_code="compat_noop")
    child_start.extend(child_act).extend(child_end)
    child_data = Data()
    child_data.inputs["${source}"] = DataInput(type=Var.PLAIN, value="default source")
    sub = SubProcess(
        start=child_start,
        data=child_data,
        params=Params({"${source}": Var(type=Var.SPLICE, value="${source}")}),
    )
    start, end = EmptyStartEvent(), EmptyEndEvent()
    start.extend(sub).extend(end)

    root_id = run(build_tree(start, data=raising_data()))

    wait_states({sub.id: "FAILED"}, root_id, worker)
    data = execution_data(sub.id)
    ex_data = str(data["outputs"].get("ex_data", ""))
    assert ex_data.startswith("context hydrate failed("), ex_data
    assert "variable source unreachable" in ex_data, ex_data
    assert data["inputs"] == {}
