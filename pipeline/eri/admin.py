"""Read-only Django admin of the runtime tables, for operators who investigate a pipeline.

Start from a pipeline id: search it in *States* (root id) to see every node state, then follow the links
of a state to its node, data, execution data, histories, schedules, callbacks and logs. Stored JSON is
shown indented; pickled values are never loaded. Times are filtered with list filters (today, past
7 days, ...) rather than ``date_hierarchy``: on MySQL/MariaDB without time zone tables (the default of
their Docker images) ``date_hierarchy`` with ``USE_TZ`` makes the changelist fail.

Nothing can be added, changed or deleted here: the runtime owns these rows, and editing them by hand
would desynchronise running pipelines. Viewing needs a staff user with the model's ``view`` permission
(Django's default admin checks). Repairs (pause, retry, skip, re-dispatch, ...) are audited actions on
the pages of a state or a process, each behind its own permission (:mod:`pipeline.eri.admin_repairs`).
"""

import json
from typing import Any

from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import SafeString

from bamboo_engine.eri.models.runtime import ContextValueType, ScheduleType
from pipeline.eri import models
from pipeline.eri.admin_helpers import (
    ReadOnlyAdmin,
    decode_json,
    decode_serialized,
    enum_filter,
    enum_label,
    ex_data_of,
    field_names,
    graph_link,
    links,
    node_links,
    pipeline_links,
    pretty_json,
    pretty_serialized,
    shorten,
)
from pipeline.eri.admin_repairs import ProcessRepairs, StateRepairs
from pipeline.eri.healing import admin as _healing_admin  # noqa: F401 - registers the healing admin
from pipeline.eri.operations.inspect import attempt_text
from pipeline.eri.runtime import BambooDjangoRuntime


@admin.register(models.Process)
class ProcessAdmin(ProcessRepairs, ReadOnlyAdmin):
    list_display = (
        "id",
        "root_pipeline_id",
        "current_node_id",
        "parent_id",
        "asleep",
        "suspended",
        "frozen",
        "dead",
        "ack_num",
        "need_ack",
        "priority",
        "queue",
        "last_heartbeat",
    )
    list_filter = ("asleep", "suspended", "frozen", "dead", "queue", "last_heartbeat")
    search_fields = ("=root_pipeline_id", "=current_node_id", "=suspended_by", "=destination_id")
    fields = field_names(models.Process, exclude=["pipeline_stack"]) + ("stack", "related")
    readonly_fields = ("stack", "related")

    @admin.display(description="pipeline stack")
    def stack(self, obj: models.Process) -> SafeString:
        return pretty_json(obj.pipeline_stack)

    @admin.display(description="related")
    def related(self, obj: models.Process) -> SafeString:
        return links(
            ("pipeline states", "state", {"root_id": obj.root_pipeline_id}),
            ("current node state", "state", {"node_id": obj.current_node_id}),
            ("child processes", "process", {"parent_id": obj.id}),
            ("all processes of pipeline", "process", {"root_pipeline_id": obj.root_pipeline_id}),
        )


@admin.register(models.Node)
class NodeAdmin(ReadOnlyAdmin):
    list_display = ("id", "node_id", "node_type", "node_name", "root_pipeline")
    search_fields = ("=node_id",)
    fields = ("id", "node_id", "pretty_detail", "related")
    readonly_fields = ("pretty_detail", "related")

    @staticmethod
    def _detail(obj: models.Node) -> dict:
        detail = decode_json(obj.detail)
        return detail if isinstance(detail, dict) else {}

    @admin.display(description="type")
    def node_type(self, obj: models.Node) -> str:
        return str(self._detail(obj).get("type", ""))

    @admin.display(description="name")
    def node_name(self, obj: models.Node) -> str:
        return str(self._detail(obj).get("name") or "")

    @admin.display(description="root pipeline id")
    def root_pipeline(self, obj: models.Node) -> str:
        return str(self._detail(obj).get("root_pipeline_id", ""))

    @admin.display(description="detail")
    def pretty_detail(self, obj: models.Node) -> SafeString:
        return pretty_json(obj.detail)

    @admin.display(description="related")
    def related(self, obj: models.Node) -> SafeString:
        return links(*node_links(obj.node_id))


@admin.register(models.State)
class StateAdmin(StateRepairs, ReadOnlyAdmin):
    list_display = (
        "node_id",
        "name",
        "root_id",
        "parent_id",
        "loop",
        "inner_loop",
        "retry",
        "skip",
        "error_ignored",
        "started_time",
        "archived_time",
        "quick_links",
    )
    list_filter = ("name", "skip", "error_ignored", "started_time", "archived_time")
    search_fields = ("=node_id", "=root_id", "=parent_id", "=version")
    fields = field_names(models.State) + ("attempt", "related")
    readonly_fields = ("attempt", "related")

    @admin.display(description="attempt")
    def attempt(self, obj: models.State) -> str:
        """``attempt k of n`` of an activity with a retry_policy (docs/retry-policy.md); "-" otherwise."""
        detail = models.Node.objects.filter(node_id=obj.node_id).values_list("detail", flat=True).first()
        if detail is None:
            return "-"
        return attempt_text(BambooDjangoRuntime(), json.loads(detail), obj.name) or "-"

    @admin.display(description="links")
    def quick_links(self, obj: models.State) -> SafeString:
        by_node = {"node_id": obj.node_id}
        node_links = links(
            ("execution data", "executiondata", by_node),
            ("histories", "executionhistory", by_node),
            ("logs", "logentry", by_node),
        )
        if obj.node_id != obj.root_id:
            return node_links
        graph = graph_link(obj.root_id)
        return format_html("{} | {}", graph, node_links) if graph else node_links

    @admin.display(description="related")
    def related(self, obj: models.State) -> SafeString:
        targets = node_links(obj.node_id)[1:]
        is_root = obj.node_id == obj.root_id
        if is_root or models.State.objects.filter(parent_id=obj.node_id).exists():
            targets += pipeline_links(obj.node_id)
        if is_root:
            targets.append(("processes", "process", {"root_pipeline_id": obj.root_id}))
        if obj.root_id:
            targets.append(("all states of the pipeline", "state", {"root_id": obj.root_id}))
        graph = graph_link(obj.root_id or obj.node_id, obj.node_id)
        return format_html("{} | {}", graph, links(*targets)) if graph else links(*targets)


@admin.register(models.Schedule)
class ScheduleAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "node_id",
        "version",
        "schedule_type",
        "process_id",
        "finished",
        "expired",
        "scheduling",
        "schedule_times",
    )
    list_filter = (enum_filter(ScheduleType, "type", "schedule type"), "finished", "expired", "scheduling")
    search_fields = ("=node_id", "=version")
    fields = list_display + ("related",)
    readonly_fields = ("schedule_type", "related")

    @admin.display(description="type", ordering="type")
    def schedule_type(self, obj: models.Schedule) -> str:
        return enum_label(ScheduleType, obj.type)

    @admin.display(description="related")
    def related(self, obj: models.Schedule) -> SafeString:
        return links(
            ("state", "state", {"node_id": obj.node_id}),
            ("callbacks of this version", "callbackdata", {"node_id": obj.node_id, "version": obj.version}),
            ("process", "process", {"id": obj.process_id}),
        )


@admin.register(models.Data)
class DataAdmin(ReadOnlyAdmin):
    list_display = ("id", "node_id", "input_keys")
    search_fields = ("=node_id",)
    fields = ("id", "node_id", "pretty_inputs", "pretty_outputs", "related")
    readonly_fields = ("pretty_inputs", "pretty_outputs", "related")

    @admin.display(description="input keys")
    def input_keys(self, obj: models.Data) -> str:
        inputs = decode_json(obj.inputs)
        return shorten(", ".join(sorted(inputs))) if isinstance(inputs, dict) else ""

    @admin.display(description="inputs")
    def pretty_inputs(self, obj: models.Data) -> SafeString:
        return pretty_json(obj.inputs)

    @admin.display(description="outputs mapping")
    def pretty_outputs(self, obj: models.Data) -> SafeString:
        return pretty_json(obj.outputs)

    @admin.display(description="related")
    def related(self, obj: models.Data) -> SafeString:
        return links(*node_links(obj.node_id))


_RAW = ("inputs", "outputs")
_PRETTY = ("full_ex_data", "pretty_inputs", "pretty_outputs", "related")


class SerializedInputsOutputsMixin:
    """Pretty ``inputs``/``outputs`` of rows that record their serializer next to each value."""

    @admin.display(description="inputs")
    def pretty_inputs(self, obj: Any) -> SafeString:
        return pretty_serialized(obj.inputs, obj.inputs_serializer)

    @admin.display(description="outputs")
    def pretty_outputs(self, obj: Any) -> SafeString:
        return pretty_serialized(obj.outputs, obj.outputs_serializer)

    @admin.display(description="ex_data")
    def ex_data(self, obj: Any) -> str:
        return shorten(ex_data_of(decode_serialized(obj.outputs, obj.outputs_serializer)))

    @admin.display(description="error (ex_data)")
    def full_ex_data(self, obj: Any) -> SafeString:
        # Shown on its own because ex_data often holds a traceback, whose line breaks JSON would escape.
        return format_html(
            '<pre style="white-space: pre-wrap">{}</pre>',
            ex_data_of(decode_serialized(obj.outputs, obj.outputs_serializer)),
        )

    @admin.display(description="related")
    def related(self, obj: Any) -> SafeString:
        return links(*node_links(obj.node_id))


@admin.register(models.ExecutionData)
class ExecutionDataAdmin(SerializedInputsOutputsMixin, ReadOnlyAdmin):
    list_display = ("id", "node_id", "inputs_serializer", "outputs_serializer", "ex_data")
    list_filter = ("inputs_serializer", "outputs_serializer")
    search_fields = ("=node_id",)
    fields = field_names(models.ExecutionData, exclude=_RAW) + _PRETTY
    readonly_fields = _PRETTY


@admin.register(models.ExecutionHistory)
class ExecutionHistoryAdmin(SerializedInputsOutputsMixin, ReadOnlyAdmin):
    list_display = (
        "id",
        "node_id",
        "loop",
        "retry",
        "skip",
        "version",
        "started_time",
        "archived_time",
        "ex_data",
    )
    list_filter = ("skip", "archived_time")
    search_fields = ("=node_id", "=version")
    fields = field_names(models.ExecutionHistory, exclude=_RAW) + _PRETTY
    readonly_fields = _PRETTY


@admin.register(models.CallbackData)
class CallbackDataAdmin(ReadOnlyAdmin):
    list_display = ("id", "node_id", "version", "short_data")
    search_fields = ("=node_id", "=version")
    fields = ("id", "node_id", "version", "pretty_data", "related")
    readonly_fields = ("pretty_data", "related")

    @admin.display(description="data")
    def short_data(self, obj: models.CallbackData) -> str:
        return shorten(obj.data)

    @admin.display(description="data")
    def pretty_data(self, obj: models.CallbackData) -> SafeString:
        return pretty_json(obj.data)

    @admin.display(description="related")
    def related(self, obj: models.CallbackData) -> SafeString:
        return links(*node_links(obj.node_id))


@admin.register(models.ContextValue)
class ContextValueAdmin(ReadOnlyAdmin):
    list_display = ("id", "pipeline_id", "key", "value_type", "serializer", "code", "short_value")
    list_filter = (enum_filter(ContextValueType, "type", "value type"), "serializer")
    search_fields = ("=pipeline_id", "key")
    ordering = ("pipeline_id", "key")
    fields = field_names(models.ContextValue, exclude=["type", "value", "references"]) + (
        "value_type",
        "pretty_value",
        "pretty_references",
        "related",
    )
    readonly_fields = ("value_type", "pretty_value", "pretty_references", "related")

    @admin.display(description="type", ordering="type")
    def value_type(self, obj: models.ContextValue) -> str:
        return enum_label(ContextValueType, obj.type)

    @admin.display(description="value")
    def short_value(self, obj: models.ContextValue) -> str:
        value = decode_serialized(obj.value, obj.serializer)
        return shorten(value if isinstance(value, str) else obj.value)

    @admin.display(description="value")
    def pretty_value(self, obj: models.ContextValue) -> SafeString:
        return pretty_serialized(obj.value, obj.serializer)

    @admin.display(description="references")
    def pretty_references(self, obj: models.ContextValue) -> SafeString:
        return pretty_json(obj.references)

    @admin.display(description="related")
    def related(self, obj: models.ContextValue) -> SafeString:
        return links(
            ("pipeline state", "state", {"node_id": obj.pipeline_id}),
            ("all values of the pipeline", "contextvalue", {"pipeline_id": obj.pipeline_id}),
        )


@admin.register(models.ContextOutputs)
class ContextOutputsAdmin(ReadOnlyAdmin):
    list_display = ("id", "pipeline_id", "short_outputs")
    search_fields = ("=pipeline_id",)
    fields = ("id", "pipeline_id", "pretty_outputs", "related")
    readonly_fields = ("pretty_outputs", "related")

    @admin.display(description="outputs")
    def short_outputs(self, obj: models.ContextOutputs) -> str:
        return shorten(obj.outputs)

    @admin.display(description="outputs")
    def pretty_outputs(self, obj: models.ContextOutputs) -> SafeString:
        return pretty_json(obj.outputs)

    @admin.display(description="related")
    def related(self, obj: models.ContextOutputs) -> SafeString:
        return links(*pipeline_links(obj.pipeline_id)[:2])


@admin.register(models.LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "node_id",
        "loop",
        "version",
        "level_name",
        "logger_name",
        "short_message",
        "logged_at",
    )
    list_filter = ("level_name", "logged_at")
    search_fields = ("=node_id", "=version")
    fields = field_names(models.LogEntry)

    @admin.display(description="message")
    def short_message(self, obj: models.LogEntry) -> str:
        return shorten(obj.message)


@admin.register(models.DeliveryClaim)
class DeliveryClaimAdmin(ReadOnlyAdmin):
    list_display = ("id", "token", "claimed_at", "owner", "lease_until", "done")
    search_fields = ("=token",)
    list_filter = ("done", "claimed_at")
    fields = field_names(models.DeliveryClaim)


@admin.register(models.OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Messages stored but not (yet) confirmed by the broker: rows here for long mean a relay problem."""

    list_display = ("id", "task_name", "created_at", "due_at", "publish_after", "attempts")
    list_filter = ("task_name",)
    search_fields = ("=id",)
    ordering = ("publish_after",)
    fields = field_names(models.OutboxMessage)


@admin.register(models.MaintenanceLease)
class MaintenanceLeaseAdmin(ReadOnlyAdmin):
    list_display = ("name", "holder", "until")
    ordering = ("name",)
    fields = field_names(models.MaintenanceLease)
