"""The queue and priority of a run (``bamboo_engine.prepare.route``), on the in-memory runtime.

The Django runtime reads the same options through the same function (tests/django/test_prepare.py).
"""

import pytest

from bamboo_engine import api
from bamboo_engine.exceptions import ValueError as EngineValueError
from bamboo_engine.prepare.route import DEFAULT_PRIORITY, run_route
from bamboo_engine.testing import InMemoryRuntime
from tests.trees import one_node_pipeline


@pytest.mark.parametrize(
    "options,expected",
    [
        ({}, ("", DEFAULT_PRIORITY)),
        ({"priority": None, "queue": None}, ("", DEFAULT_PRIORITY)),
        ({"priority": 0}, ("", 0)),
        ({"priority": 255, "queue": "api"}, ("api", 255)),
    ],
)
def test_zero_is_a_priority_and_only_a_missing_one_takes_the_default(options, expected):
    assert run_route(options) == expected


@pytest.mark.parametrize("priority", [-1, 256, "5", 1.5, True])
def test_a_priority_the_broker_can_not_carry_is_refused(priority):
    with pytest.raises(EngineValueError, match=f"priority must be an int from 0 to 255, got {priority!r}"):
        run_route({"priority": priority})


def test_in_memory_runtime_stores_priority_zero():
    runtime = InMemoryRuntime()
    try:
        process_id = runtime.prepare_run_pipeline(one_node_pipeline(), {}, {}, {}, priority=0)
        assert runtime.store.processes[process_id].priority == 0
    finally:
        runtime.close()


def test_run_pipeline_refuses_a_bad_priority_before_writing_anything():
    runtime = InMemoryRuntime()
    tree = one_node_pipeline()
    try:
        result = api.run_pipeline(runtime, tree, priority=-1)
        assert (result.result, type(result.exc)) == (False, EngineValueError)
        assert runtime.store.processes == {} and runtime.get_state_or_none(tree["id"]) is None
    finally:
        runtime.close()
