"""Contract: what the runtime's getters do for an id that does not exist.

A getter of one row raises ``NotFoundError`` (the Django runtime's error is also the model's
``DoesNotExist``, see ``tests/django/test_not_found.py``); probes and list getters answer with an
empty value instead. The ``bamboo_engine.api`` query functions keep their result shapes on top of that.
"""

from typing import Any, Callable

import pytest

from bamboo_engine import api
from bamboo_engine.exceptions import NotFoundError

pytestmark = pytest.mark.contract

MISSING = "n_missing_0000000000000000000000"
MISSING_ID = 987654321

# (name, call) of every single-row getter (and writer that needs the row) of a missing id.
RAISING: list = [
    ("get_state", lambda rt: rt.get_state(MISSING)),
    ("get_node", lambda rt: rt.get_node(MISSING)),
    ("update_node_loop_times", lambda rt: rt.update_node_loop_times(MISSING, 2)),
    ("get_process_info", lambda rt: rt.get_process_info(MISSING_ID)),
    ("fork", lambda rt: rt.fork(MISSING_ID, MISSING, [MISSING], {"a": "b"})),
    ("get_schedule", lambda rt: rt.get_schedule(str(MISSING_ID))),
    ("get_schedule_with_node_and_version", lambda rt: rt.get_schedule_with_node_and_version(MISSING, "v")),
    ("get_callback_data", lambda rt: rt.get_callback_data(MISSING_ID)),
    ("get_context_outputs", lambda rt: rt.get_context_outputs(MISSING)),
    ("get_data", lambda rt: rt.get_data(MISSING)),
    ("get_data_inputs", lambda rt: rt.get_data_inputs(MISSING)),
    ("get_data_outputs", lambda rt: rt.get_data_outputs(MISSING)),
    ("get_execution_data", lambda rt: rt.get_execution_data(MISSING)),
]

# (name, call, expected) of the getters that answer a missing id without raising.
EMPTY: list = [
    ("get_state_or_none", lambda rt: rt.get_state_or_none(MISSING), None),
    ("batch_get_state_name", lambda rt: rt.batch_get_state_name([MISSING]), {}),
    ("get_current_node_id", lambda rt: rt.get_current_node_id(MISSING_ID), None),
    ("is_frozen", lambda rt: rt.is_frozen(MISSING_ID), False),
    ("get_sleep_process_info", lambda rt: rt.get_sleep_process_info_with_current_node_id(MISSING), None),
    ("get_process_id_with_current_node_id", lambda rt: rt.get_process_id_with_current_node_id(MISSING), None),
    ("get_execution_data_inputs", lambda rt: rt.get_execution_data_inputs(MISSING), {}),
    ("get_execution_data_outputs", lambda rt: rt.get_execution_data_outputs(MISSING), {}),
    ("get_histories", lambda rt: rt.get_histories(MISSING), []),
    ("get_short_histories", lambda rt: rt.get_short_histories(MISSING), []),
    ("get_context", lambda rt: rt.get_context(MISSING), []),
]


@pytest.mark.parametrize("call", [c for _, c in RAISING], ids=[n for n, _ in RAISING])
def test_getter_of_a_missing_id_raises_not_found(harness, call: Callable[[Any], Any]):
    with pytest.raises(NotFoundError, match="does not exist"):
        call(harness.runtime)


@pytest.mark.parametrize("call,expected", [(c, e) for _, c, e in EMPTY], ids=[n for n, _, _ in EMPTY])
def test_probe_of_a_missing_id_answers_empty(harness, call: Callable[[Any], Any], expected: Any):
    assert call(harness.runtime) == expected


@pytest.mark.parametrize(
    "query,data",
    [
        (api.get_pipeline_states, {}),
        (api.get_children_states, {}),
        (api.get_execution_data_inputs, {}),
        (api.get_execution_data_outputs, {}),
        (api.get_node_histories, []),
        (api.get_node_short_histories, []),
    ],
)
def test_api_query_of_a_missing_id_succeeds_with_empty_data(harness, query, data):
    result = query(harness.runtime, MISSING)

    assert result.result is True and result.exc is None
    assert result.data == data


@pytest.mark.parametrize("query", [api.get_execution_data, api.get_data, api.get_node_debug_info])
def test_api_query_of_a_missing_node_fails_with_not_found(harness, query):
    result = query(harness.runtime, MISSING)

    assert result.result is False and result.data is None
    assert isinstance(result.exc, NotFoundError)
