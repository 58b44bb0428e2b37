"""Stored encodings: node data inputs and serializer-tagged values."""

import base64
import pickle

import pytest

from bamboo_engine.eri.models.runtime import DataInput
from pipeline.eri import codec


def test_data_inputs_round_trip():
    inputs = {
        "a": DataInput(need_render=True, value="${x}"),
        "b": DataInput(need_render=False, value={"k": [1]}),
    }
    text = codec.data_json_dumps(inputs)
    assert codec.data_json_loads(text) == inputs
    assert '"need_render": true' in text
    assert codec.data_json_loads(codec.data_json_dumps({"c": {"need_render": False, "value": 1}})) == {
        "c": DataInput(need_render=False, value=1)
    }
    assert codec.data_json_loads("") == {}


def test_json_is_the_default_serializer():
    assert codec.dumps({"a": [1, "x"]}, allow_pickle=True) == ('{"a": [1, "x"]}', "json")
    assert codec.loads('{"a": 1}', "json", allow_pickle=False) == {"a": 1}


def test_pickle_only_when_allowed():
    with pytest.raises(codec.SerializationError, match="BAMBOO_DJANGO_ERI_ALLOW_PICKLE"):
        codec.dumps({"s": {1}}, allow_pickle=False)
    text, serializer = codec.dumps({"s": {1}}, allow_pickle=True)
    assert serializer == "pickle" and pickle.loads(base64.b64decode(text)) == {"s": {1}}
    assert codec.loads(text, serializer, allow_pickle=True) == {"s": {1}}
    with pytest.raises(codec.SerializationError, match="refusing to unpickle"):
        codec.loads(text, serializer, allow_pickle=False)
    with pytest.raises(codec.SerializationError, match="unknown serializer 'yaml'"):
        codec.loads("", "yaml", allow_pickle=True)
