"""How the admin renders stored text: JSON indented and escaped, pickle hidden, bad rows still shown."""

import datetime
import json

import pytest

from bamboo_engine.eri.models.runtime import ScheduleType
from pipeline.eri.admin_helpers import (
    PICKLE_HIDDEN,
    Undecodable,
    decode_serialized,
    enum_filter,
    enum_label,
    ex_data_of,
    pretty,
    pretty_json,
    pretty_serialized,
    shorten,
)
from pipeline.eri.models import Schedule
from tests.admin.pipelines import TRIPWIRE_PICKLE, UNPICKLED


def test_json_is_indented_with_sorted_keys_and_html_escaped():
    html = pretty_json(json.dumps({"b": "<script>alert(1)</script>", "a": [1, 2]}))
    assert html.startswith("<pre")
    assert "{\n  &quot;a&quot;: [\n    1,\n    2\n  ],\n  &quot;b&quot;: &quot;&lt;script&gt;" in html
    assert "<script>" not in html


def test_non_ascii_text_stays_readable():
    assert "héllo 世界" in pretty_json(json.dumps({"greeting": "héllo 世界"}))


def test_pickled_values_are_hidden_without_being_loaded():
    UNPICKLED.clear()
    assert decode_serialized(TRIPWIRE_PICKLE, "pickle") == PICKLE_HIDDEN
    assert "&lt;pickled value hidden&gt;" in pretty_serialized(TRIPWIRE_PICKLE, "pickle")
    assert UNPICKLED == []


def test_invalid_json_is_shown_raw_with_the_reason():
    html = pretty_json('{"cut": ')
    assert "not valid JSON" in html
    assert "{&quot;cut&quot;: " in html


def test_tagged_json_is_decoded_for_display():
    text = '{"due": {"$datetime": "2024-05-01T10:00:00"}, "keys": {"$dict": [[1, "a"], ["b", 2]]}}'
    assert decode_serialized(text, "tagged_json") == {
        "due": datetime.datetime(2024, 5, 1, 10),
        "keys": {1: "a", "b": 2},
    }
    html = pretty_serialized(text, "tagged_json")
    assert "datetime.datetime(2024, 5, 1, 10, 0)" in html and "1: &#x27;a&#x27;" in html


def test_malformed_tagged_json_is_shown_raw_with_the_reason():
    broken = decode_serialized('{"$date": "never"}', "tagged_json")
    assert isinstance(broken, Undecodable) and "malformed $date" in broken.reason
    cut = decode_serialized('{"cut": ', "tagged_json")
    assert isinstance(cut, Undecodable) and "not valid tagged JSON" in cut.reason


def test_unknown_serializer_is_shown_raw_with_its_name():
    value = decode_serialized("gAR9lC4=", "msgpack")
    assert isinstance(value, Undecodable)
    assert "'msgpack'" in value.reason
    assert "gAR9lC4=" in pretty(value)


@pytest.mark.parametrize("text", [None, ""])
def test_empty_text_renders_as_null(text):
    assert "null" in pretty_json(text)


def test_ex_data_of_outputs():
    assert ex_data_of({"ex_data": "boom", "_result": False}) == "boom"
    assert ex_data_of({"ex_data": {"code": 7}}) == '{"code": 7}'
    assert ex_data_of({"_result": True}) == ""
    assert ex_data_of(PICKLE_HIDDEN) == ""


def test_shorten_keeps_short_text_and_cuts_long_text():
    assert shorten("abc", 5) == "abc"
    assert shorten("abcdefgh", 5) == "abcd…"
    assert shorten(None) == ""


def test_enum_label_names_known_values_and_keeps_unknown_ones():
    assert enum_label(ScheduleType, 3) == "POLL (3)"
    assert enum_label(ScheduleType, 99) == "99"


@pytest.mark.django_db
def test_enum_filter_ignores_a_non_numeric_value(rf):
    filter_cls = enum_filter(ScheduleType, "type", "schedule type")
    Schedule.objects.create(type=3, node_id="n1", version="v1")
    request = rf.get("/", {"type": "POLL"})
    list_filter = filter_cls(request, {"type": "POLL"}, Schedule, None)
    assert list(list_filter.queryset(request, Schedule.objects.all())) == []
    assert [value for value, _ in list_filter.lookups(request, None)] == ["1", "2", "3"]
