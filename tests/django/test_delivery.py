"""Delivery semantics: headers of every message, duplicate deliveries, sending after commit."""

import pytest
from django.db import transaction

from pipeline.eri.celery.queues import EXECUTE_TASK_NAME, SCHEDULE_TASK_NAME
from pipeline.eri.imp.task import DELIVERY_TOKEN_HEADER
from pipeline.eri.models import DeliveryClaim, Schedule
from pipeline.eri.runtime import BambooDjangoRuntime
from tests.contract import trees


def test_every_message_carries_route_timestamp_and_token(harness):
    harness.run_to_end(trees.linear_tree(trees.activity("poll_node", polls=2)), queue="api", priority=9)
    assert {m.task_name for m in harness.broker.sent} == {EXECUTE_TASK_NAME, SCHEDULE_TASK_NAME}
    tokens = set()
    for message in harness.broker.sent:
        headers = message.kwargs["headers"]
        assert headers["route_info"] == {"queue": "api", "priority": 9}
        assert isinstance(headers["timestamp"], float)
        tokens.add(headers[DELIVERY_TOKEN_HEADER])
        assert message.options["priority"] == 9
        assert message.options["queue"] == message.options["routing_key"]
        assert message.options["queue"] in ("er_execute_api", "er_schedule_api")
        assert message.kwargs["recover_point"] == "{}"
    assert len(tokens) == len(harness.broker.sent)
    delayed = [m for m in harness.broker.sent if m.options.get("countdown")]
    assert delayed and all(m.options["countdown"] == 1 for m in delayed)


def test_duplicate_schedule_delivery_changes_nothing(harness):
    act = trees.activity("poll_node", polls=5)
    harness.start(trees.linear_tree(act))
    while True:
        message = harness.broker.pop()
        assert message is not None, "no schedule message was sent"
        harness.broker.deliver(message)
        if message.task_name == SCHEDULE_TASK_NAME:
            break
    before = Schedule.objects.get(node_id=act.id).schedule_times
    pending = len(harness.broker.delayed)
    harness.broker.deliver(message)  # the broker redelivers the same message
    assert Schedule.objects.get(node_id=act.id).schedule_times == before
    assert len(harness.broker.delayed) == pending  # no second poll chain
    harness.run_until_idle()
    assert Schedule.objects.get(node_id=act.id).schedule_times == 5


def test_duplicate_execute_delivery_changes_nothing(harness):
    act = trees.activity("copy_node", value=1)
    root = harness.start(trees.linear_tree(act))
    first = harness.broker.pop()
    harness.broker.deliver(first)
    harness.run_until_idle()
    version = harness.state(act.id).version
    harness.broker.deliver(first)  # a late redelivery of the run's first message
    state = harness.state(act.id)
    assert (state.name, state.version, state.loop) == ("FINISHED", version, 1)
    assert harness.state_name(root) == "FINISHED"
    assert DeliveryClaim.objects.filter(token=first.kwargs["headers"][DELIVERY_TOKEN_HEADER]).count() == 1


def test_messages_of_a_rolled_back_transaction_are_never_sent(harness):
    process_id = harness.runtime.create_process("root", ["root"], queue="", priority=1)
    with pytest.raises(RuntimeError), transaction.atomic():
        BambooDjangoRuntime().execute(process_id, "node", "root", "root")
        raise RuntimeError("roll back")
    assert harness.broker.sent == []
    with transaction.atomic():
        BambooDjangoRuntime().execute(process_id, "node", "root", "root")
        assert harness.broker.sent == []  # not before the commit
    assert len(harness.broker.sent) == 1


def test_database_error_interrupts_and_the_step_is_redone_once(harness, monkeypatch):
    from django.db import OperationalError

    from pipeline.eri.imp.data import DataMixin

    original = DataMixin.set_execution_data
    failures = []

    def flaky(self, node_id, data):
        if not failures:
            failures.append(node_id)
            raise OperationalError("lost connection")
        return original(self, node_id, data)

    monkeypatch.setattr(DataMixin, "set_execution_data", flaky)
    act = trees.activity("copy_node", value=7)
    root = harness.run_to_end(trees.linear_tree(act))
    assert failures == [act.id]
    recovered = [m for m in harness.broker.sent if m.kwargs["recover_point"] != "{}"]
    assert len(recovered) == 1 and recovered[0].task_name == EXECUTE_TASK_NAME
    assert harness.outputs(act.id)["value"] == 7
    assert harness.state(act.id).loop == 1 and harness.state_name(root) == "FINISHED"


def test_a_deferred_message_without_route_headers_goes_to_its_process_queue(harness):
    from pipeline.eri.celery.delivery import resend_later
    from pipeline.eri.models import Process

    root_id = harness.start(trees.linear_tree(trees.activity("poll_node", polls=1)), queue="api", priority=9)
    process = Process.objects.get(root_pipeline_id=root_id, parent_id=-1)
    harness.broker.sent.clear()
    message = {"process_id": process.id, "node_id": "n", "headers": {DELIVERY_TOKEN_HEADER: "t"}}
    resend_later(EXECUTE_TASK_NAME, message, countdown=3)
    (sent,) = harness.broker.sent
    assert sent.options["queue"] == "er_execute_api" and sent.options["priority"] == 9
    assert sent.options["countdown"] == 3 and sent.kwargs is message
    # a process that is gone: the message is dropped, not sent to a guessed queue
    resend_later(EXECUTE_TASK_NAME, dict(message, process_id=process.id + 10_000), countdown=3)
    assert len(harness.broker.sent) == 1
