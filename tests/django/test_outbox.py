"""The transactional outbox: a message exists exactly when the transaction that needs it committed.

Messages are captured by the harness's broker (``pipeline.eri.imp.task.publish``); the relay is called
with an explicit publisher, as a worker's maintenance loop calls it with the confirming one.
"""

from datetime import timedelta

import pytest
from django.db import DatabaseError, transaction
from django.test import override_settings
from django.utils import timezone

from pipeline.eri import outbox
from pipeline.eri.celery.queues import EXECUTE_TASK_NAME, SCHEDULE_TASK_NAME
from pipeline.eri.imp import task as task_module
from pipeline.eri.imp.task import DELIVERY_TOKEN_HEADER
from pipeline.eri.models import OutboxMessage, Process
from tests.django.threads import run_concurrently


@pytest.fixture
def process_id(transactional_db):
    return Process.objects.create(root_pipeline_id="root", queue="", priority=100).id


class Recorder:
    """A publisher that records what it was asked to send, or fails while ``down``."""

    def __init__(self, down: bool = False) -> None:
        self.sent = []
        self.down = down

    def __call__(self, task_name, kwargs, options):
        if self.down:
            raise ConnectionError("broker away")
        self.sent.append((task_name, kwargs, options))


@pytest.fixture
def broker(monkeypatch):
    recorder = Recorder()
    monkeypatch.setattr(task_module, "publish", recorder)
    return recorder


def _execute(runtime, process_id, node_id="n1"):
    runtime.execute(process_id=process_id, node_id=node_id, root_pipeline_id="r", parent_pipeline_id="r")


def _make_relayable():
    """As if ``BAMBOO_DJANGO_ERI_OUTBOX_RELAY_AFTER_SECONDS`` had passed since the rows were stored."""
    OutboxMessage.objects.update(publish_after=timezone.now() - timedelta(seconds=1))


def _token(kwargs):
    return kwargs["headers"][DELIVERY_TOKEN_HEADER]


def test_a_message_of_a_rolled_back_transaction_is_never_sent(runtime, process_id, broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        _execute(runtime, process_id)
        assert OutboxMessage.objects.count() == 1  # stored inside the transaction...
        raise RuntimeError("rolled back")

    assert OutboxMessage.objects.count() == 0  # ... and gone with it
    _make_relayable()
    assert outbox.relay_once(broker) == 0
    assert broker.sent == []


def test_a_committed_message_is_published_after_the_commit_and_its_row_deleted(runtime, process_id, broker):
    with transaction.atomic():
        _execute(runtime, process_id)
        assert broker.sent == []  # nothing leaves before the commit

    ((task_name, kwargs, _),) = broker.sent
    assert (task_name, kwargs["node_id"]) == (EXECUTE_TASK_NAME, "n1")
    assert OutboxMessage.objects.count() == 0


def test_a_failed_publish_is_sent_by_the_relay_with_the_same_token(runtime, process_id, broker):
    broker.down = True
    with transaction.atomic():
        _execute(runtime, process_id)
    assert broker.sent == [] and OutboxMessage.objects.count() == 1

    relay = Recorder()
    assert outbox.relay_once(relay) == 0  # within the relay delay the fast path may still publish it
    _make_relayable()
    assert outbox.relay_once(relay) == 1

    ((task_name, kwargs, options),) = relay.sent
    assert task_name == EXECUTE_TASK_NAME and kwargs["node_id"] == "n1"
    assert options == {"queue": "er_execute", "routing_key": "er_execute", "priority": 100}
    assert OutboxMessage.objects.count() == 0


def test_a_process_that_died_before_publishing_leaves_the_message_to_the_relay(
    runtime, process_id, broker, monkeypatch
):
    # The commit happened; the process died before its on-commit publish ran.
    monkeypatch.setattr(outbox, "_publish_stored", lambda message, publish: None)
    with transaction.atomic():
        _execute(runtime, process_id)
    assert broker.sent == []

    relay = Recorder()
    _make_relayable()
    assert outbox.relay_once(relay) == 1
    assert [kwargs["node_id"] for _, kwargs, _ in relay.sent] == ["n1"]


def test_the_relay_keeps_a_delayed_message_due_when_it_was_due(runtime, process_id, broker):
    broker.down = True
    runtime.set_next_schedule(process_id=process_id, node_id="n1", schedule_id=7, schedule_after=60)
    row = OutboxMessage.objects.get()
    assert (row.due_at - row.created_at) == timedelta(seconds=60)
    OutboxMessage.objects.update(created_at=row.created_at - timedelta(seconds=20))
    OutboxMessage.objects.update(due_at=row.due_at - timedelta(seconds=20))
    _make_relayable()

    relay = Recorder()
    assert outbox.relay_once(relay) == 1
    ((task_name, _, options),) = relay.sent
    assert task_name == SCHEDULE_TASK_NAME
    assert 38 < options["countdown"] <= 40  # what remains of the minute, not a new one


def test_a_row_is_published_by_one_relay_only(runtime, process_id, broker):
    broker.down = True
    for node in ("n1", "n2", "n3"):
        _execute(runtime, process_id, node)
    _make_relayable()
    second = Recorder()
    first_calls = []

    def first(task_name, kwargs, options):
        # While the first relay publishes its batch, a second relay finds every row claimed.
        if not first_calls:
            assert outbox.relay_once(second) == 0
        first_calls.append(kwargs["node_id"])

    assert outbox.relay_once(first) == 3
    assert sorted(first_calls) == ["n1", "n2", "n3"] and second.sent == []


def test_concurrent_relays_publish_each_row_once(runtime, process_id, broker):
    broker.down = True
    for index in range(20):
        _execute(runtime, process_id, f"n{index}")
    _make_relayable()
    relays = [Recorder() for _ in range(4)]

    counts = run_concurrently(lambda index: outbox.relay_once(relays[index]), 4)

    assert not [result for result in counts if isinstance(result, Exception)], counts
    published = [kwargs["node_id"] for relay in relays for _, kwargs, _ in relay.sent]
    assert sorted(published) == sorted(f"n{index}" for index in range(20))
    assert sum(counts) == 20 and OutboxMessage.objects.count() == 0


def test_a_relay_that_died_after_claiming_leaves_the_rows_to_another_after_its_lease(
    runtime, process_id, broker
):
    broker.down = True
    _execute(runtime, process_id)
    _make_relayable()

    with pytest.raises(SystemExit):
        outbox.relay_once(lambda *message: (_ for _ in ()).throw(SystemExit("relay killed")))
    relay = Recorder()
    assert outbox.relay_once(relay) == 0  # still claimed by the dead relay
    OutboxMessage.objects.update(publish_after=timezone.now())  # its claim ran out
    assert outbox.relay_once(relay) == 1


def test_a_failed_relay_publish_hands_the_rest_back_for_the_next_pass(runtime, process_id, broker):
    broker.down = True
    for node in ("n1", "n2"):
        _execute(runtime, process_id, node)
    _make_relayable()

    assert outbox.relay_once(Recorder(down=True)) == 0
    assert OutboxMessage.objects.filter(attempts=1, publish_after__lte=timezone.now()).count() == 2
    relay = Recorder()
    assert outbox.relay_once(relay) == 2  # at once, not after the claim's lease


def test_outside_a_transaction_the_message_is_stored_published_and_deleted(runtime, process_id, broker):
    _execute(runtime, process_id)
    assert len(broker.sent) == 1 and OutboxMessage.objects.count() == 0


def test_outside_a_transaction_a_database_error_still_sends_the_message(
    runtime, process_id, broker, monkeypatch
):
    def unavailable(message):
        raise DatabaseError("database away")

    monkeypatch.setattr(outbox, "_store", unavailable)
    _execute(runtime, process_id)
    assert [kwargs["node_id"] for _, kwargs, _ in broker.sent] == ["n1"]


def test_in_a_worker_confirmed_rows_are_deleted_in_one_batch(runtime, process_id, broker, monkeypatch):
    rows = outbox.ConfirmedRows()
    rows.batch_in_this_process()
    monkeypatch.setattr(outbox, "confirmed_rows", rows)
    monkeypatch.setattr(rows, "_run", lambda: None)  # flushed by the test instead of the thread
    for node in ("n1", "n2", "n3"):
        _execute(runtime, process_id, node)
    assert len(broker.sent) == 3 and OutboxMessage.objects.count() == 3

    assert rows.flush() == 3
    assert OutboxMessage.objects.count() == 0


@override_settings(BAMBOO_DJANGO_ERI_OUTBOX=False)
def test_without_the_outbox_messages_are_published_on_commit_only(runtime, process_id, broker):
    with transaction.atomic():
        _execute(runtime, process_id)
        assert OutboxMessage.objects.count() == 0 and broker.sent == []
    assert len(broker.sent) == 1


def test_every_message_of_a_run_goes_through_the_outbox(harness):
    from tests.contract import trees

    stored = []
    original = outbox._store

    def store(message):
        stored.append(message.kwargs)
        original(message)

    harness._patch.setattr(outbox, "_store", store)
    poll, copy = trees.activity("poll_node", polls=2), trees.activity("copy_node", x=trees.plain(1))
    tree = trees.linear_tree(poll, copy)

    root = harness.run_to_end(tree)

    assert harness.state_name(root) == "FINISHED"
    sent = [message.kwargs for message in harness.broker.sent]
    assert sent and [_token(kwargs) for kwargs in stored] == [_token(kwargs) for kwargs in sent]
    assert OutboxMessage.objects.count() == 0


def test_a_relayed_copy_of_a_delivered_message_is_dropped_by_its_claim(harness, monkeypatch):
    from tests.contract import trees

    # The process died between the broker's confirmation and the delete: the row outlives the message.
    monkeypatch.setattr(outbox.confirmed_rows, "add", lambda row_id: None)
    act = trees.activity("copy_node", x=trees.plain(1))
    root = harness.run_to_end(trees.linear_tree(act))
    assert harness.state_name(root) == "FINISHED"
    first = harness.broker.sent[0]

    from pipeline.eri.models import ExecutionHistory, State

    before = sorted(State.objects.values_list("node_id", "name", "version", "loop"))
    stored = OutboxMessage.objects.count()
    assert stored >= 1

    _make_relayable()
    assert outbox.relay_once(harness.broker.publish) == stored
    copies = [m for m in harness.broker.sent[1:] if _token(m.kwargs) == _token(first.kwargs)]
    assert len(copies) == 1  # the same delivery token
    harness.run_until_idle()

    assert sorted(State.objects.values_list("node_id", "name", "version", "loop")) == before
    assert ExecutionHistory.objects.count() == 0
