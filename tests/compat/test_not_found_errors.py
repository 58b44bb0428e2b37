"""Not-found errors of the runtime's getters are the model's ``DoesNotExist``, as upstream callers catch.

They are also bamboo's ``NotFoundError``, which the engine catches.
"""

import pytest

from bamboo_engine.exceptions import NotFoundError
from tests.compat.harness import runtime

pytestmark = pytest.mark.integration

MISSING_NODE = "e" + "0" * 32
MISSING_ID = 987654321


def getters():
    """``(model name, call)`` of every getter upstream lets the model's DoesNotExist out of."""
    return [
        ("State", lambda r: r.get_state(MISSING_NODE)),
        ("Node", lambda r: r.get_node(MISSING_NODE)),
        ("Process", lambda r: r.get_process_info(MISSING_ID)),
        ("Schedule", lambda r: r.get_schedule(str(MISSING_ID))),
        ("Schedule", lambda r: r.get_schedule_with_node_and_version(MISSING_NODE, "v" + "0" * 32)),
        ("CallbackData", lambda r: r.get_callback_data(MISSING_ID)),
        ("ContextOutputs", lambda r: r.get_context_outputs("p" + "0" * 32)),
    ]


@pytest.mark.parametrize(
    "model_name, call",
    getters(),
    ids=[
        "get_state",
        "get_node",
        "get_process_info",
        "get_schedule",
        "get_schedule_with_node_and_version",
        "get_callback_data",
        "get_context_outputs",
    ],
)
def test_missing_row_raises_the_models_does_not_exist(compat_session, model_name, call):
    from pipeline.eri import models

    model = getattr(models, model_name)

    with pytest.raises(model.DoesNotExist) as caught:
        call(runtime())

    assert isinstance(caught.value, NotFoundError)
