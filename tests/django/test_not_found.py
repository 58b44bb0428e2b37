"""The Django runtime's not-found errors are also the model's ``DoesNotExist``.

Code written for the upstream runtime catches ``pipeline.eri.models.State.DoesNotExist`` around
``get_state`` (and likewise for the other models); the engine catches ``NotFoundError``. Both must work.
"""

import pytest
from django.core.exceptions import ObjectDoesNotExist

from bamboo_engine.exceptions import NotFoundError
from pipeline.eri import models
from tests.contract.test_not_found import MISSING, MISSING_ID

CASES = [
    ("get_state", models.State, lambda rt: rt.get_state(MISSING)),
    ("get_node", models.Node, lambda rt: rt.get_node(MISSING)),
    ("update_node_loop_times", models.Node, lambda rt: rt.update_node_loop_times(MISSING, 2)),
    ("get_process_info", models.Process, lambda rt: rt.get_process_info(MISSING_ID)),
    ("fork", models.Process, lambda rt: rt.fork(MISSING_ID, MISSING, [MISSING], {"a": "b"})),
    ("get_schedule", models.Schedule, lambda rt: rt.get_schedule(str(MISSING_ID))),
    (
        "get_schedule_with_node_and_version",
        models.Schedule,
        lambda rt: rt.get_schedule_with_node_and_version(MISSING, "v"),
    ),
    ("get_callback_data", models.CallbackData, lambda rt: rt.get_callback_data(MISSING_ID)),
    ("get_context_outputs", models.ContextOutputs, lambda rt: rt.get_context_outputs(MISSING)),
    ("get_data", models.Data, lambda rt: rt.get_data(MISSING)),
    ("get_data_inputs", models.Data, lambda rt: rt.get_data_inputs(MISSING)),
    ("get_data_outputs", models.Data, lambda rt: rt.get_data_outputs(MISSING)),
    ("get_execution_data", models.ExecutionData, lambda rt: rt.get_execution_data(MISSING)),
]


@pytest.mark.parametrize("model,call", [(m, c) for _, m, c in CASES], ids=[n for n, _, _ in CASES])
def test_missing_row_raises_the_models_does_not_exist(runtime, model, call):
    with pytest.raises(model.DoesNotExist) as raised:
        call(runtime)

    assert isinstance(raised.value, NotFoundError)
    assert isinstance(raised.value, ObjectDoesNotExist)
    assert "does not exist" in str(raised.value)


def test_upstream_style_caller_catches_state_does_not_exist(runtime):
    def state_or_default(node_id):
        try:
            return runtime.get_state(node_id).name
        except models.State.DoesNotExist:
            return "NO_STATE"

    assert state_or_default(MISSING) == "NO_STATE"


def test_one_error_class_per_model():
    from pipeline.eri.imp._db import not_found_class

    assert not_found_class(models.State) is not_found_class(models.State)
    assert not_found_class(models.State) is not not_found_class(models.Node)
    assert not issubclass(not_found_class(models.State), models.Node.DoesNotExist)
