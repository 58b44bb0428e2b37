"""DataMixin, ContextMixin and ExecutionHistoryMixin of the Django runtime."""

import codecs
import datetime
import json
import pickle

import pytest
from django.test import override_settings
from django.utils import timezone

from bamboo_engine.eri.models.runtime import ContextValue, ContextValueType, DataInput, ExecutionData
from bamboo_engine.exceptions import NotFoundError, UnstorableValueError
from pipeline.eri.codec import SerializationError
from pipeline.eri.models import ContextOutputs
from pipeline.eri.models import ContextValue as ContextValueModel
from pipeline.eri.models import ExecutionData as ExecutionDataModel


def test_node_data_inputs_and_outputs(runtime):
    runtime.set_data_inputs("n1", {"a": DataInput(need_render=True, value="${x}")})
    data = runtime.get_data("n1")
    assert data.inputs == {"a": DataInput(need_render=True, value="${x}")} and data.outputs == {}
    runtime.set_data_inputs("n1", {"b": DataInput(need_render=False, value=[1, 2])})
    assert runtime.get_data_inputs("n1") == {"b": DataInput(need_render=False, value=[1, 2])}
    assert set(runtime.get_batch_data(["n1", "n2"])) == {"n1"}
    assert runtime.get_data_outputs("n1") == {}
    with pytest.raises(NotFoundError):
        runtime.get_data("n2")


def test_execution_data_round_trip(runtime):
    assert runtime.get_execution_data_inputs("n1") == {} and runtime.get_execution_data_outputs("n1") == {}
    with pytest.raises(NotFoundError):
        runtime.get_execution_data("n1")
    runtime.set_execution_data_outputs("n1", {"ex_data": "boom"})
    assert runtime.get_execution_data("n1").inputs == {}
    runtime.set_execution_data_inputs("n1", {"a": 1})
    assert runtime.get_execution_data("n1").outputs.ex_data == "boom"
    runtime.set_execution_data("n1", ExecutionData({"a": 2}, {"_result": True}))
    runtime.set_execution_data("n1", ExecutionData({"a": 3}, {"_result": False}))
    data = runtime.get_execution_data("n1")
    assert (data.inputs.a, data.outputs._result) == (3, False)
    row = ExecutionDataModel.objects.get(node_id="n1")
    assert (row.inputs_serializer, row.outputs_serializer) == ("json", "json")


class Opaque:
    """An object no JSON form stores (module level, so pickle can)."""

    def __eq__(self, other):
        return isinstance(other, Opaque)


def test_pickle_is_opt_in(runtime):
    with pytest.raises(UnstorableValueError, match="BAMBOO_DJANGO_ERI_ALLOW_PICKLE") as raised:
        runtime.set_execution_data_outputs("n1", {"o": Opaque()})
    assert (raised.value.key, raised.value.value_type) == ("o", f"{__name__}.Opaque")
    with override_settings(BAMBOO_DJANGO_ERI_ALLOW_PICKLE=True):
        runtime.set_execution_data_outputs("n1", {"o": Opaque()})
        assert runtime.get_execution_data_outputs("n1") == {"o": Opaque()}
        assert ExecutionDataModel.objects.get(node_id="n1").outputs_serializer == "pickle"
    with pytest.raises(SerializationError, match="refusing to unpickle"):
        runtime.get_execution_data_outputs("n1")


def test_callback_data(runtime):
    data_id = runtime.set_callback_data("n1", "v1", {"ok": True})
    callback = runtime.get_callback_data(data_id)
    assert (callback.id, callback.node_id, callback.version, callback.data) == (
        data_id,
        "n1",
        "v1",
        {"ok": True},
    )
    with pytest.raises(NotFoundError):
        runtime.get_callback_data(data_id + 1)


def _cv(key, value, cv_type=ContextValueType.PLAIN, code=""):
    return ContextValue(key=key, type=cv_type, value=value, code=code)


def test_upsert_and_read_context(runtime):
    runtime.upsert_plain_context_values("p", {"${a}": _cv("${a}", 1)})
    runtime.upsert_plain_context_values("p", {"${a}": _cv("${a}", 2), "${b}": _cv("${b}", [3])})
    runtime.upsert_plain_context_values("p", {"${b}": _cv("${b}", {"x": 1}, ContextValueType.SPLICE)})
    values = {cv.key: cv for cv in runtime.get_context("p")}
    assert {k: v.value for k, v in values.items()} == {"${a}": 2, "${b}": {"x": 1}}
    assert values["${b}"].type == ContextValueType.PLAIN  # upserts always store PLAIN
    assert [cv.key for cv in runtime.get_context_values("p", {"${a}", "${missing}"})] == ["${a}"]
    assert ContextValueModel.objects.filter(pipeline_id="p").count() == 2


def test_update_context_values_recomputes_references(runtime):
    runtime.upsert_plain_context_values("p", {"${a}": _cv("${a}", 1), "${b}": _cv("${b}", 2)})
    runtime.update_context_values("p", [_cv("${b}", "${a} + 1", ContextValueType.SPLICE)])
    assert runtime.get_context_key_references("p", {"${b}"}) == {"${a}"}
    with pytest.raises(NotFoundError, match="missing"):
        runtime.update_context_values("p", [_cv("${missing}", 1)])


def test_copy_context_values_replaces_an_earlier_copy(runtime):
    runtime.upsert_plain_context_values("from", {"${a}": _cv("${a}", 1), "${b}": _cv("${b}", 2)})
    runtime.copy_context_values_to_new_pipeline("from", "to", exclude_keys={"${b}"})
    runtime.upsert_plain_context_values("from", {"${a}": _cv("${a}", 5)})
    runtime.copy_context_values_to_new_pipeline("from", "to")
    assert {cv.key: cv.value for cv in runtime.get_context("to")} == {"${a}": 5, "${b}": 2}


def test_context_outputs(runtime):
    with pytest.raises(ContextOutputs.DoesNotExist):
        runtime.get_context_outputs("p")
    ContextOutputs.objects.create(pipeline_id="p", outputs='["${a}", "${b}"]')
    assert runtime.get_context_outputs("p") == {"${a}", "${b}"}
    ContextOutputs.objects.create(pipeline_id="empty", outputs="")
    assert runtime.get_context_outputs("empty") == set()


def test_histories(runtime):
    now = timezone.now()
    started = now - datetime.timedelta(seconds=5)
    first = runtime.add_history("n1", started, now, 1, False, 0, "v1", {"a": 1}, {"b": 2})
    runtime.add_history("n1", started, now, 2, True, 1, "v2", {}, {})
    histories = runtime.get_histories("n1")
    assert [h.version for h in histories] == ["v1", "v2"] and histories[0].id == first
    assert (histories[0].inputs, histories[0].outputs) == ({"a": 1}, {"b": 2})
    short = runtime.get_short_histories("n1", loop=2)
    assert [(h.version, h.skip, h.retry) for h in short] == [("v2", True, 1)]


def test_values_json_has_no_type_for_are_stored_as_tagged_json(runtime):
    due = datetime.datetime(2024, 5, 1, 10, 0, 0, 123456)
    runtime.set_execution_data("n1", ExecutionData({"plain": 1}, {"due": due, "ids": {1, 2}}))
    row = ExecutionDataModel.objects.get(node_id="n1")
    assert (row.inputs_serializer, row.outputs_serializer) == ("json", "tagged_json")
    assert row.inputs == '{"plain": 1}'
    assert runtime.get_execution_data_outputs("n1") == {"due": due, "ids": {1, 2}}


def test_rows_written_before_read_the_same(runtime):
    lookalike = {"due": {"$datetime": "2024-05-01T10:00:00"}, "t": {"$tuple": [1, 2]}}
    ExecutionDataModel.objects.create(
        node_id="old_json",
        inputs=json.dumps(lookalike),
        inputs_serializer="json",
        outputs="{}",
        outputs_serializer="json",
    )
    assert runtime.get_execution_data_inputs("old_json") == lookalike  # never read as tags
    # The upstream package wrote pickles with codecs' base64 (a newline every 76 characters).
    pickled = codecs.encode(pickle.dumps({"s": {1, 2}, "long": "x" * 200}), "base64").decode()
    assert "\n" in pickled.strip()
    ExecutionDataModel.objects.create(
        node_id="old_pickle",
        inputs="{}",
        inputs_serializer="json",
        outputs=pickled,
        outputs_serializer="pickle",
    )
    with override_settings(BAMBOO_DJANGO_ERI_ALLOW_PICKLE=True):
        assert runtime.get_execution_data_outputs("old_pickle") == {"s": {1, 2}, "long": "x" * 200}
