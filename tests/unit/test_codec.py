"""``bamboo_engine.codec``: plain JSON, tagged JSON for what JSON has no type for, pickle on opt-in."""

import base64
import datetime
import enum
import json
import pickle
import uuid
from collections import OrderedDict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bamboo_engine import codec
from bamboo_engine.exceptions import SerializationError, UnstorableValueError

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


class Colour(str, enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Opaque:
    """An object no JSON form stores (module level, so pickle can)."""

    def __eq__(self, other):
        return isinstance(other, Opaque)


def round_trip(value):
    text, serializer = codec.encode(value)
    return codec.decode(text, serializer), serializer


def assert_same(got, expected):
    assert type(got) is type(expected), (got, expected)
    assert got == expected
    assert getattr(got, "tzinfo", None) == getattr(expected, "tzinfo", None)


# ------------------------------------------------------------------------------------- plain JSON


def test_plain_values_are_exactly_json_dumps():
    value = {"_result": True, "n": 1, "x": 1.5, "s": "é", "none": None, "list": [1, {"a": [2]}], "": ""}
    assert codec.encode(value) == (json.dumps(value), "json")
    assert codec.decode(json.dumps(value), "json") == value


def test_subclasses_of_json_types_stay_plain_json():
    value = {"colour": Colour.RED, "level": Level.HIGH, "ordered": OrderedDict(a=1)}
    text, serializer = codec.encode(value)
    assert (text, serializer) == (json.dumps(value), "json")


def test_json_rows_are_never_read_through_the_tag_decoder():
    text = '{"due": {"$datetime": "2024-05-01T10:00:00"}, "t": {"$tuple": [1]}}'
    assert codec.decode(text, "json") == {"due": {"$datetime": "2024-05-01T10:00:00"}, "t": {"$tuple": [1]}}


# ------------------------------------------------------------------------------------ tagged JSON


@pytest.mark.parametrize(
    "value",
    [
        datetime.datetime(2024, 5, 1, 10, 0, 0, 123456),
        datetime.datetime(2024, 5, 1, 10, 0, 0, 7, tzinfo=datetime.UTC),
        datetime.datetime(
            2024, 5, 1, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=-3, minutes=-30))
        ),
        datetime.datetime(2024, 5, 1, 10, 0, 0, 1, tzinfo=SHANGHAI),
        datetime.date(2024, 2, 29),
        datetime.time(23, 59, 59, 999999),
        datetime.time(8, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=45))),
        datetime.time(8, 0, tzinfo=SHANGHAI),
        datetime.timedelta(days=-3, seconds=7, microseconds=11),
        Decimal("12.50"),
        Decimal("-0E-7"),
        Decimal("-Infinity"),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        {1, 2, 3},
        {"b", "a"},
        frozenset({(1, 2), (3,)}),
        set(),
        (),
        (1, "two", (3.0, None)),
        b"\x00\xff binary",
        b"",
    ],
    ids=repr,
)
def test_every_supported_type_round_trips(value):
    got, serializer = round_trip({"value": value})
    assert serializer == "tagged_json"
    assert_same(got["value"], value)


def test_values_nested_anywhere_round_trip():
    value = {
        "result": {"items": [{"when": datetime.date(2024, 1, 1)}, (Decimal("1"), {b"k"})]},
        "list": [[datetime.timedelta(seconds=1)]],
        "plain": {"a": [1, 2]},
    }
    got, _ = round_trip(value)
    assert got == value
    assert type(got["result"]["items"][1]) is tuple and type(got["result"]["items"][1][1]) is set


def test_aware_datetimes_keep_their_zone_and_instant():
    ambiguous = datetime.datetime(2021, 11, 7, 1, 30, tzinfo=NEW_YORK, fold=1)  # second 01:30 (EST)
    got, _ = round_trip([ambiguous])
    assert got[0].tzinfo is NEW_YORK and got[0].fold == 1
    assert got[0].utcoffset() == datetime.timedelta(hours=-5)
    assert got[0] + datetime.timedelta(days=1) == ambiguous + datetime.timedelta(days=1)


def test_naive_stays_naive():
    got, _ = round_trip([datetime.datetime(2024, 5, 1)])
    assert got[0].tzinfo is None


def test_tagged_text_is_readable_json():
    text, _ = codec.encode({"at": datetime.datetime(2024, 5, 1, 10, 0, tzinfo=SHANGHAI), "d": Decimal("1.5")})
    assert json.loads(text) == {
        "at": {"$datetime": "2024-05-01T10:00:00+08:00[Asia/Shanghai]"},
        "d": {"$decimal": "1.5"},
    }


def test_equal_sets_are_stored_as_equal_text():
    assert codec.encode({"s": {3, 1, 2}}) == codec.encode({"s": {2, 3, 1}})


def test_dicts_that_look_like_tags_are_escaped():
    value = {
        "looks_like_a_tag": {"$datetime": "2024-05-01T10:00:00"},
        "escape_key_itself": {"$dict": [[1, 2]]},
        "unknown_dollar": {"$gt": 5},
        "two_keys": {"$datetime": "x", "other": 1},
        "when": datetime.date(2024, 5, 1),
    }
    got, serializer = round_trip(value)
    assert serializer == "tagged_json" and got == value


def test_non_string_keys_are_kept():
    value = {"by_id": {1: "a", "1": "b", (2, 3): "c", None: "d", datetime.date(2024, 1, 1): "e"}}
    got, serializer = round_trip(value)
    assert serializer == "tagged_json" and got == value


def test_unknown_or_malformed_tags_are_refused():
    with pytest.raises(SerializationError, match=r"unknown tag '\$color'"):
        codec.decode('{"$color": "red"}', "tagged_json")
    with pytest.raises(SerializationError, match=r"malformed \$date"):
        codec.decode('{"$date": "yesterday"}', "tagged_json")
    with pytest.raises(SerializationError, match="unknown serializer 'yaml'"):
        codec.decode("{}", "yaml")


def test_an_unknown_zone_still_gives_the_same_instant():
    got = codec.decode('{"$datetime": "2024-05-01T10:00:00+08:00[Nowhere/Atlantis]"}', "tagged_json")
    assert got == datetime.datetime(2024, 5, 1, 2, 0, tzinfo=datetime.UTC)


# -------------------------------------------------------------------------------- what is refused


@pytest.mark.parametrize(
    ("value", "key", "value_type"),
    [
        ({"result": {"items": [1, 2, Opaque()]}}, "result.items[2]", f"{__name__}.Opaque"),
        ({"callback": lambda: None}, "callback", "function"),
        ({"a.b": [{"c": object()}]}, "['a.b'][0].c", "object"),
        ({"pair": (1, object())}, "pair[1]", "object"),
        (Opaque(), "", f"{__name__}.Opaque"),
        ([1, {2: object()}], "[1][2]", "object"),
    ],
)
def test_unstorable_values_name_their_path_and_type(value, key, value_type):
    with pytest.raises(UnstorableValueError) as raised:
        codec.encode(value)
    assert (raised.value.key, raised.value.value_type) == (key, value_type)
    assert isinstance(raised.value, TypeError) and isinstance(raised.value, SerializationError)
    assert f"of type {value_type} cannot be stored" in str(raised.value)


def test_within_prefixes_the_path():
    assert UnstorableValueError("result.items[2]", "x").within("outputs").key == "outputs.result.items[2]"
    assert UnstorableValueError("[1]", "x").within("outputs").key == "outputs[1]"
    assert UnstorableValueError("", "x").within("outputs").key == "outputs"


def test_a_value_that_contains_itself_is_refused():
    loop: list = []
    loop.append(loop)
    with pytest.raises(UnstorableValueError, match="cannot be written as JSON"):
        codec.encode({"loop": loop})


def test_drop_unstorable_keeps_what_can_be_stored():
    outputs = {"kept": datetime.date(2024, 5, 1), "bad": {"deep": [object()]}, "fn": print}
    inputs = {"ok": 1}
    errors = codec.drop_unstorable(codec.encode, {"inputs": inputs, "outputs": outputs})
    assert [(err.key, err.value_type) for err in errors] == [
        ("outputs.bad.deep[0]", "object"),
        ("outputs.fn", "builtin_function_or_method"),
    ]
    assert outputs == {"kept": datetime.date(2024, 5, 1)} and inputs == {"ok": 1}


# ------------------------------------------------------------------------------------------ pickle


def test_pickle_only_for_what_json_forms_cannot_hold_and_only_when_allowed():
    assert codec.dumps({"d": datetime.date(2024, 1, 1)}, allow_pickle=True)[1] == "tagged_json"
    with pytest.raises(UnstorableValueError, match="turn pickle on") as raised:
        codec.dumps({"o": Opaque()}, allow_pickle=False, pickle_hint="turn pickle on")
    assert raised.value.hint == "turn pickle on"
    text, serializer = codec.dumps({"o": Opaque()}, allow_pickle=True)
    assert serializer == "pickle" and pickle.loads(base64.b64decode(text)) == {"o": Opaque()}
    assert codec.loads(text, serializer, allow_pickle=True) == {"o": Opaque()}
    with pytest.raises(SerializationError, match="refusing to unpickle stored data: off here"):
        codec.loads(text, serializer, allow_pickle=False, pickle_hint="off here")


def test_what_pickle_cannot_store_either_is_refused_with_the_path():
    with pytest.raises(UnstorableValueError, match="pickle fails too") as raised:
        codec.dumps({"x": [lambda: None]}, allow_pickle=True)
    assert raised.value.key == "x[0]"


def test_rows_written_before_read_the_same():
    old_json = json.dumps({"a": [1, 2], "ex_data": "boom"})
    old_pickle = base64.b64encode(pickle.dumps({"s": {1, 2}})).decode("ascii")
    assert codec.loads(old_json, "json", allow_pickle=False) == {"a": [1, 2], "ex_data": "boom"}
    assert codec.loads(old_pickle, "pickle", allow_pickle=True) == {"s": {1, 2}}
