"""Hooks as signals, interrupt events, rollback forwarding, log cleanup and the metrics boot step."""

import datetime
import logging

from django.test import override_settings
from django.utils import timezone

from bamboo_engine import local
from bamboo_engine.eri.models.event import ExecuteInterruptEvent
from pipeline.eri import signals
from pipeline.eri.celery import tasks
from pipeline.eri.celery.step import PromServerStep
from pipeline.eri.imp.hooks import HooksMixin, PipelineEvent
from pipeline.eri.log import EngineContextLogHandler
from pipeline.eri.models import DeliveryClaim, LogEntry


def _collect(signal):
    received = []

    def receiver(sender, **kwargs):
        received.append({"sender": sender, **kwargs})

    signal.connect(receiver, weak=False, dispatch_uid="collect")
    return received, lambda: signal.disconnect(dispatch_uid="collect")


def test_pipeline_event_only_when_enabled(runtime):
    received, disconnect = _collect(signals.pipeline_event)
    try:
        runtime.node_finish("root", "n1")
        with override_settings(ENABLE_PIPELINE_EVENT_SIGNALS=True):
            runtime.node_finish("root", "n1")
            runtime.post_forced_fail_activity("n1", "boom", "v1", "v2")
        runtime.node_finish("root", "n2")  # the cached switch follows the setting back off
    finally:
        disconnect()
    assert all(kwargs["sender"] is HooksMixin for kwargs in received)
    events = [kwargs["event"] for kwargs in received]
    assert [e.event_type for e in events] == ["node_finish", "post_forced_fail_activity"]
    assert events[0].as_dict() == {
        "event_type": "node_finish",
        "data": {"root_pipeline_id": "root", "node_id": "n1"},
    }
    assert isinstance(events[1], PipelineEvent) and events[1].data["new_version"] == "v2"


def test_interrupt_events_are_signalled(runtime):
    received, disconnect = _collect(signals.execute_interrupt)
    event = ExecuteInterruptEvent("ENTRY", 1, "n1", RuntimeError("db"), "traceback")
    try:
        runtime.handle_execute_interrupt_event(event)
    finally:
        disconnect()
    assert [kwargs["event"] for kwargs in received] == [event]
    assert received[0]["sender"] is event  # as upstream sends it


def test_rollback_records_nothing_unless_enabled(runtime):
    from pipeline.contrib.rollback.models import RollbackNodeSnapshot, RollbackToken

    runtime.set_pipeline_token({"id": "p"})
    runtime.set_node_snapshot("root", "n1", "code", "legacy", {}, {}, {})
    assert not RollbackToken.objects.exists() and not RollbackNodeSnapshot.objects.exists()


def test_clean_expired_log_deletes_old_logs_and_claims(transactional_db):
    old = timezone.now() - datetime.timedelta(days=40)
    LogEntry.objects.create(node_id="n1", logger_name="x", level_name="INFO", message="old")
    LogEntry.objects.create(node_id="n1", logger_name="x", level_name="INFO", message="new")
    LogEntry.objects.filter(message="old").update(logged_at=old)
    DeliveryClaim.objects.create(token="old")
    DeliveryClaim.objects.create(token="new")
    DeliveryClaim.objects.filter(token="old").update(claimed_at=old)
    tasks.clean_expired_log()
    assert list(LogEntry.objects.values_list("message", flat=True)) == ["new"]
    assert list(DeliveryClaim.objects.values_list("token", flat=True)) == ["new"]


def test_engine_records_are_logged_under_the_current_node(runtime):
    handler = EngineContextLogHandler()
    record = logging.LogRecord("bamboo_engine", 20, __file__, 1, "engine says %s", ("hi",), None)
    handler.emit(record)  # no current node: ignored
    local.set_node_info(local.CurrentNodeInfo(node_id="n1", version="v1", loop=2))
    try:
        handler.emit(record)
    finally:
        local.clear_node_info()
    entry = LogEntry.objects.get()
    assert (entry.node_id, entry.version, entry.loop, entry.message) == ("n1", "v1", 2, "engine says hi")


def test_prometheus_step_declaration():
    assert PromServerStep.port == 8001
    assert PromServerStep.requires == {"celery.worker.components:Timer"}
