"""Helpers of the ``pipeline.eri`` admins: the read-only base class, stored text as readable JSON, links.

The admin shows what the runtime stored without ever executing it: JSON is decoded and re-indented,
values stored with the pickle serializer are hidden (unpickling runs arbitrary code), and anything that
cannot be decoded is shown as the raw text with a note, so one bad row never breaks a page.
"""

import json
import pprint
from enum import Enum
from typing import Any, Iterable, List, Optional, Tuple, Type
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Model
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from pipeline.eri.codec import (
    JSON_SERIALIZER,
    PICKLE_SERIALIZER,
    TAGGED_JSON_SERIALIZER,
    SerializationError,
    loads,
)

PICKLE_HIDDEN = "<pickled value hidden>"
SHORT_TEXT_LENGTH = 80


class ReadOnlyAdmin(admin.ModelAdmin):
    """Base of every admin here: view only, no bulk actions, no full-table count on big tables."""

    actions = None
    list_per_page = 50
    # COUNT(*) over millions of rows on every changelist page is what makes admins of busy tables slow.
    show_full_result_count = False
    ordering: Tuple[str, ...] = ("-id",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class Undecodable:
    """Marker of stored text that could not be decoded; carries the reason and the raw text."""

    def __init__(self, reason: str, raw: str):
        self.reason = reason
        self.raw = raw


def decode_json(text: Optional[str]) -> Any:
    """The JSON value of ``text``, or :class:`Undecodable` when it is not valid JSON."""
    if text is None or text == "":
        return None
    try:
        return json.loads(text)
    except ValueError as err:
        return Undecodable(f"not valid JSON: {err}", text)


def decode_serialized(text: Optional[str], serializer: str) -> Any:
    """The value of ``text`` stored with ``serializer``; pickled values are never loaded."""
    if serializer == PICKLE_SERIALIZER:
        return PICKLE_HIDDEN
    if serializer == JSON_SERIALIZER or not serializer:
        return decode_json(text)
    if serializer == TAGGED_JSON_SERIALIZER:
        try:
            return loads(text or "null", serializer, allow_pickle=False)
        except ValueError as err:  # malformed JSON or tag (SerializationError is a TypeError)
            return Undecodable(f"not valid tagged JSON: {err}", text or "")
        except SerializationError as err:
            return Undecodable(str(err), text or "")
    return Undecodable(f"unknown serializer {serializer!r}", text or "")


def pretty(value: Any) -> SafeString:
    """A decoded value as an indented, HTML-escaped ``<pre>`` block."""
    if isinstance(value, Undecodable):
        return format_html('<p class="errornote">{}</p><pre>{}</pre>', value.reason, value.raw)
    if value == PICKLE_HIDDEN:
        return format_html("<pre>{}</pre>", PICKLE_HIDDEN)
    try:
        text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=repr)
    except TypeError:  # keys JSON cannot write or sort (tagged JSON keeps non-string keys)
        text = pprint.pformat(value, indent=2)
    return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)


def pretty_json(text: Optional[str]) -> SafeString:
    """:func:`pretty` of JSON ``text``."""
    return pretty(decode_json(text))


def pretty_serialized(text: Optional[str], serializer: str) -> SafeString:
    """:func:`pretty` of ``text`` stored with ``serializer``."""
    return pretty(decode_serialized(text, serializer))


def field_names(model: Type[Model], exclude: Iterable[str] = ()) -> Tuple[str, ...]:
    """Names of ``model``'s concrete fields in declaration order, except ``exclude``."""
    skipped = set(exclude)
    return tuple(field.name for field in model._meta.concrete_fields if field.name not in skipped)


def shorten(text: Optional[str], length: int = SHORT_TEXT_LENGTH) -> str:
    """``text`` cut to ``length`` characters (with an ellipsis) for list columns."""
    if not text:
        return ""
    return text if len(text) <= length else text[: length - 1] + "…"


def ex_data_of(outputs: Any) -> str:
    """The ``ex_data`` (error message) of decoded execution outputs as text, "" when there is none."""
    if not isinstance(outputs, dict) or not outputs.get("ex_data"):
        return ""
    ex_data = outputs["ex_data"]
    return ex_data if isinstance(ex_data, str) else json.dumps(ex_data, ensure_ascii=False, default=repr)


def enum_label(enum_cls: Type[Enum], value: Any) -> str:
    """``NAME (value)`` of an enum member stored as its value, or the bare value when unknown."""
    try:
        return f"{enum_cls(value).name} ({value})"
    except ValueError:
        return str(value)


def enum_filter(enum_cls: Type[Enum], field: str, title: str) -> Type[admin.SimpleListFilter]:
    """A changelist filter on an integer ``field`` that stores ``enum_cls`` values, labelled by name."""

    class EnumFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request, model_admin) -> Iterable[Tuple[str, str]]:
            return [(str(member.value), member.name) for member in enum_cls]

        def queryset(self, request, queryset):
            value = self.value()
            if value is None:
                return queryset
            try:
                return queryset.filter(**{field: int(value)})
            except ValueError:
                # A hand-edited query string: show nothing rather than an error page.
                return queryset.none()

    EnumFilter.title = title
    return EnumFilter


def changelist_url(model_name: str, **filters: Any) -> Optional[str]:
    """URL of the ``eri`` changelist of ``model_name`` filtered by ``filters``, None if not routed."""
    try:
        url = reverse(f"admin:eri_{model_name}_changelist")
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode(filters)}" if filters else url


def graph_url(root_id: str) -> Optional[str]:
    """URL of the engine_admin graph of the run ``root_id``, None when the console is not routed."""
    try:
        return reverse("engine_admin:graph", kwargs={"root_id": root_id})
    except NoReverseMatch:
        return None


def graph_link(root_id: str, node_id: str = "") -> SafeString:
    """A link to the graph of the run ``root_id``, with ``node_id`` selected (empty when the console is
    not routed)."""
    url = graph_url(root_id)
    if url is None:
        return format_html("")
    fragment = f"#{node_id}" if node_id and node_id != root_id else ""
    return format_html('<a href="{}{}" class="graph-link">graph</a>', url, fragment)


def links(*targets: Tuple[str, str, dict]) -> SafeString:
    """Links to filtered changelists, given as ``(label, model_name, filters)``."""
    items = []
    for label, model_name, filters in targets:
        url = changelist_url(model_name, **filters)
        if url is not None:
            items.append((url, label))
    return format_html_join(" | ", '<a href="{}">{}</a>', items)


def node_links(node_id: str) -> List[Tuple[str, str, dict]]:
    """Links to every per-node table of ``node_id``."""
    by_node = {"node_id": node_id}
    return [
        ("state", "state", by_node),
        ("node", "node", by_node),
        ("data", "data", by_node),
        ("execution data", "executiondata", by_node),
        ("histories", "executionhistory", by_node),
        ("schedules", "schedule", by_node),
        ("callbacks", "callbackdata", by_node),
        ("logs", "logentry", by_node),
    ]


def pipeline_links(pipeline_id: str) -> List[Tuple[str, str, dict]]:
    """Links to the tables keyed by a (sub)pipeline id."""
    return [
        ("child states", "state", {"parent_id": pipeline_id}),
        ("context values", "contextvalue", {"pipeline_id": pipeline_id}),
        ("context outputs", "contextoutputs", {"pipeline_id": pipeline_id}),
    ]
