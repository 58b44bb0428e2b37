"""``pipeline.eri.codec``: node data inputs (with the project's encoder hooks) and serializer-named values."""

import base64
import datetime
import json
import pickle
from decimal import Decimal

import pytest
from django.test import override_settings

from bamboo_engine.eri.models.runtime import DataInput
from pipeline.eri import codec


class Opaque:
    """An object no JSON form stores (module level, so pickle can)."""

    def __eq__(self, other):
        return isinstance(other, Opaque)


class DecimalEncoder(json.JSONEncoder):
    """A project's encoder for node data inputs, as ``DATA_JSON_ENCODER_PATH`` names it."""

    def default(self, o):
        if isinstance(o, Decimal):
            return {"__decimal__": str(o)}
        return super().default(o)


def decimal_object_hook(obj):
    """The matching ``json.loads`` object hook (``DATA_JSON_OBJECT_HOOK_PATH``)."""
    return Decimal(obj["__decimal__"]) if set(obj) == {"__decimal__"} else obj


ENCODER = f"{__name__}.DecimalEncoder"
HOOK = f"{__name__}.decimal_object_hook"


def test_data_inputs_round_trip():
    inputs = {
        "a": DataInput(need_render=True, value="${x}"),
        "b": DataInput(need_render=False, value={"k": [1]}),
    }
    text = codec.data_inputs_dumps(inputs)
    assert codec.data_inputs_loads(text) == inputs
    assert '"need_render": true' in text
    assert codec.data_json_loads(text) == {
        "a": {"need_render": True, "value": "${x}"},
        "b": {"need_render": False, "value": {"k": [1]}},
    }
    assert codec.data_json_dumps({"c": {"need_render": False, "value": 1}}) == (
        '{"c": {"need_render": false, "value": 1}}'
    )
    assert codec.data_inputs_loads("") == {}


def test_data_json_hooks_default_off():
    assert codec.DATA_JSON_ENCODER_PATH is None and codec.DATA_JSON_OBJECT_HOOK_PATH is None
    assert codec._get_data_json_encoder() is None and codec._get_data_json_object_hook() is None
    with pytest.raises(TypeError):
        codec.data_json_dumps({"a": Decimal("1")})


@override_settings(DATA_JSON_ENCODER_PATH=ENCODER, DATA_JSON_OBJECT_HOOK_PATH=HOOK)
def test_data_json_hooks_from_django_settings():
    assert codec._get_data_json_encoder() is DecimalEncoder
    assert codec._get_data_json_object_hook() is decimal_object_hook
    inputs = {"price": DataInput(need_render=False, value=Decimal("9.90"))}
    text = codec.data_inputs_dumps(inputs)
    assert '"__decimal__": "9.90"' in text
    assert codec.data_inputs_loads(text) == inputs


def test_data_json_hooks_as_module_attributes_win(monkeypatch):
    monkeypatch.setattr(codec, "DATA_JSON_ENCODER_PATH", ENCODER)
    monkeypatch.setattr(codec, "DATA_JSON_OBJECT_HOOK_PATH", HOOK)
    with override_settings(DATA_JSON_ENCODER_PATH="json.JSONEncoder"):
        assert codec._get_data_json_encoder() is DecimalEncoder
    assert codec.data_json_loads(codec.data_json_dumps({"x": Decimal("2")})) == {"x": Decimal("2")}


@override_settings(DATA_JSON_ENCODER_PATH="tests.django.nowhere.Encoder")
def test_an_unimportable_hook_path_leaves_the_hook_off_and_says_so(caplog):
    assert codec._get_data_json_encoder() is None
    assert "tests.django.nowhere.Encoder" in caplog.text
    assert codec.data_json_dumps({"a": 1}) == '{"a": 1}'


def test_data_inputs_written_by_the_runtime_use_the_hooks(runtime):
    with override_settings(DATA_JSON_ENCODER_PATH=ENCODER, DATA_JSON_OBJECT_HOOK_PATH=HOOK):
        runtime.set_data_inputs("n1", {"price": DataInput(need_render=False, value=Decimal("1.25"))})
        assert runtime.get_data_inputs("n1")["price"].value == Decimal("1.25")


def test_json_is_the_serializer_of_plain_values():
    assert codec.dumps({"a": [1, "x"]}, allow_pickle=True) == ('{"a": [1, "x"]}', "json")
    assert codec.loads('{"a": 1}', "json", allow_pickle=False) == {"a": 1}


def test_tagged_json_for_what_json_has_no_type_for():
    value = {"at": datetime.datetime(2024, 5, 1, 10, 0, 0, 5), "n": Decimal("0.10")}
    text, serializer = codec.dumps(value, allow_pickle=False)
    assert serializer == "tagged_json" == codec.TAGGED_JSON_SERIALIZER
    assert codec.loads(text, serializer, allow_pickle=False) == value


def test_pickle_only_when_allowed():
    with pytest.raises(codec.UnstorableValueError, match="BAMBOO_DJANGO_ERI_ALLOW_PICKLE"):
        codec.dumps({"o": Opaque()}, allow_pickle=False)
    assert issubclass(codec.UnstorableValueError, codec.SerializationError)
    text, serializer = codec.dumps({"o": Opaque()}, allow_pickle=True)
    assert serializer == "pickle" and pickle.loads(base64.b64decode(text)) == {"o": Opaque()}
    assert codec.loads(text, serializer, allow_pickle=True) == {"o": Opaque()}
    with pytest.raises(codec.SerializationError, match="refusing to unpickle"):
        codec.loads(text, serializer, allow_pickle=False)
    with pytest.raises(codec.SerializationError, match="unknown serializer 'yaml'"):
        codec.loads("", "yaml", allow_pickle=True)
