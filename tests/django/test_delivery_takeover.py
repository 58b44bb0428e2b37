"""Worker death after claiming a message: the redelivery waits for the lease, then takes the run over.

A crash is simulated by a ``SystemExit`` raised in the middle of a task body (what a killed worker leaves
behind: a claim that is not done, rows as far as the run got), then the lease is made to end. The
pipeline must finish with every node entered exactly once (loop 1, no ExecutionHistory row), services
running at most twice.
"""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from bamboo_engine.builder import EmptyEndEvent
from bamboo_engine.plugin import Service, StaticIntervalGenerator
from pipeline.eri.celery import delivery
from pipeline.eri.celery.delivery import Claim, Verdict, claim_delivery, holding, keeper
from pipeline.eri.celery.queues import EXECUTE_TASK_NAME, SCHEDULE_TASK_NAME
from pipeline.eri.imp.process import ProcessMixin
from pipeline.eri.imp.schedule import ScheduleMixin
from pipeline.eri.imp.task import DELIVERY_TOKEN_HEADER
from pipeline.eri.models import DeliveryClaim, ExecutionHistory, Process, Schedule, State
from pipeline.eri.runtime import BambooDjangoRuntime
from tests.contract import trees
from tests.django.querycount import capture_queries
from tests.django.threads import run_concurrently

CALLS: Counter = Counter()


class CrashOnceService(Service):
    """The first execute kills the worker; the next one succeeds."""

    def execute(self, data, parent_data):
        CALLS["execute"] += 1
        if CALLS["execute"] == 1:
            raise SystemExit("worker killed in the middle of the service")
        data.set_outputs("attempt", CALLS["execute"])
        return True


class CountingService(Service):
    def execute(self, data, parent_data):
        CALLS["execute"] += 1
        return True


class CrashOnFirstPollService(Service):
    """Polls every second; the first poll kills the worker, the second finishes."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(1)

    def execute(self, data, parent_data):
        CALLS["execute"] += 1
        return True

    def schedule(self, data, parent_data, callback_data=None):
        CALLS["schedule"] += 1
        if CALLS["schedule"] == 1:
            raise SystemExit("worker killed in the middle of a poll")
        self.finish_schedule()
        return True


@pytest.fixture
def crash_harness(harness):
    CALLS.clear()
    harness.register_service("crash_once_node", CrashOnceService)
    harness.register_service("counting_node", CountingService)
    harness.register_service("crash_on_poll_node", CrashOnFirstPollService)
    yield harness
    CALLS.clear()
    for token in keeper.held():
        keeper.release(token)


def _token(message) -> str:
    return message.kwargs["headers"][DELIVERY_TOKEN_HEADER]


def _crash(harness, message) -> None:
    with pytest.raises(SystemExit):
        harness.broker.deliver(message)


def _end_lease(message) -> None:
    DeliveryClaim.objects.filter(token=_token(message)).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )


def _next(harness, task_name: str):
    """Deliver messages until one of ``task_name`` is next; return it undelivered."""
    while True:
        message = harness.broker.pop()
        assert message is not None, f"no {task_name} message was sent"
        if message.task_name == task_name:
            return message
        harness.broker.deliver(message)


def _assert_each_node_entered_once(harness, root_id: str) -> None:
    assert harness.state_name(root_id) == "FINISHED"
    assert sorted({state.loop for state in State.objects.all()}) == [1]
    assert ExecutionHistory.objects.count() == 0


# -- execute takeovers ---------------------------------------------------------------------------------


def test_worker_killed_mid_service_is_taken_over_and_the_pipeline_finishes(crash_harness):
    act = trees.activity("crash_once_node")
    root = crash_harness.start(trees.linear_tree(act))
    first = crash_harness.broker.pop()
    _crash(crash_harness, first)
    version = crash_harness.state(act.id).version
    assert crash_harness.state_name(act.id) == "RUNNING"

    _end_lease(first)
    crash_harness.broker.deliver(first)  # the broker's redelivery after the worker died
    crash_harness.run_until_idle()

    _assert_each_node_entered_once(crash_harness, root)
    assert CALLS["execute"] == 2  # at-least-once: the interrupted service ran again
    assert crash_harness.state(act.id).version == version  # the same run was continued
    assert crash_harness.outputs(act.id)["attempt"] == 2
    assert DeliveryClaim.objects.get(token=_token(first)).done


def test_worker_killed_before_its_first_node_replays_the_message(crash_harness, monkeypatch):
    original = BambooDjangoRuntime.get_process_info

    def die_once(self, process_id):
        # The engine's first runtime call of an execute message.
        if not CALLS["killed"]:
            CALLS["killed"] += 1
            raise SystemExit("worker killed right after claiming")
        return original(self, process_id)

    monkeypatch.setattr(BambooDjangoRuntime, "get_process_info", die_once)
    act = trees.activity("counting_node")
    root = crash_harness.start(trees.linear_tree(act))
    first = crash_harness.broker.pop()
    _crash(crash_harness, first)
    assert crash_harness.state(act.id) is None

    _end_lease(first)
    crash_harness.broker.deliver(first)
    crash_harness.run_until_idle()

    _assert_each_node_entered_once(crash_harness, root)
    assert CALLS["execute"] == 1


def test_worker_killed_after_a_node_finished_continues_past_it(crash_harness, monkeypatch):
    act, end = trees.activity("counting_node"), EmptyEndEvent()
    original = ProcessMixin.set_current_node

    def die_on_the_way_out(self, process_id, node_id):
        if node_id == end.id and not CALLS["killed"]:
            CALLS["killed"] += 1
            raise SystemExit("worker killed between two nodes")
        return original(self, process_id, node_id)

    monkeypatch.setattr(ProcessMixin, "set_current_node", die_on_the_way_out)
    root = crash_harness.start(trees.linear_tree(act, end=end))
    first = crash_harness.broker.pop()
    _crash(crash_harness, first)
    assert crash_harness.state_name(act.id) == "FINISHED"

    _end_lease(first)
    crash_harness.broker.deliver(first)
    crash_harness.run_until_idle()

    _assert_each_node_entered_once(crash_harness, root)
    assert CALLS["execute"] == 1  # a finished node is not run again


def test_worker_killed_while_creating_a_schedule_leaves_the_process_awake_and_is_resumed(
    crash_harness, monkeypatch
):
    original = ScheduleMixin.set_schedule

    def die_once(self, *args, **kwargs):
        if not CALLS["killed"]:
            CALLS["killed"] += 1
            raise SystemExit("worker killed before creating the schedule")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ScheduleMixin, "set_schedule", die_once)
    act = trees.activity("poll_node", polls=2)
    root = crash_harness.start(trees.linear_tree(act))
    first = crash_harness.broker.pop()
    _crash(crash_harness, first)
    # The sleep is committed with the schedule and its first POLL (atomic_step): both rolled back.
    assert not Process.objects.get(root_pipeline_id=root).asleep
    assert not Schedule.objects.exists()

    _end_lease(first)
    crash_harness.broker.deliver(first)
    crash_harness.run_until_idle()

    _assert_each_node_entered_once(crash_harness, root)
    assert Schedule.objects.get(node_id=act.id).schedule_times == 2


@pytest.mark.parametrize("code", ["fail_node", "copy_node"])
def test_takeover_of_a_run_that_stopped_cleanly_changes_nothing(crash_harness, code):
    # A failed node leaves the process asleep; a finished pipeline leaves it dead. Either way a taken-over
    # message has nothing left to do (as if the worker died between the last write and "done").
    act = trees.activity(code)
    crash_harness.start(trees.linear_tree(act))
    first = crash_harness.broker.pop()
    crash_harness.broker.deliver(first)
    crash_harness.run_until_idle()
    before = {(s.node_id, s.name, s.version, s.loop) for s in State.objects.all()}
    sent = len(crash_harness.broker.sent)
    DeliveryClaim.objects.filter(token=_token(first)).update(done=False)
    _end_lease(first)

    crash_harness.broker.deliver(first)

    assert {(s.node_id, s.name, s.version, s.loop) for s in State.objects.all()} == before
    assert len(crash_harness.broker.sent) == sent
    assert ExecutionHistory.objects.count() == 0


# -- schedule takeover ---------------------------------------------------------------------------------


def test_worker_killed_mid_poll_releases_the_lock_and_polls_again(crash_harness):
    act = trees.activity("crash_on_poll_node")
    root = crash_harness.start(trees.linear_tree(act))
    poll = _next(crash_harness, SCHEDULE_TASK_NAME)
    _crash(crash_harness, poll)
    assert Schedule.objects.get(node_id=act.id).scheduling  # the dead run holds the lock

    _end_lease(poll)
    crash_harness.broker.deliver(poll)
    crash_harness.run_until_idle()

    _assert_each_node_entered_once(crash_harness, root)
    assert (CALLS["execute"], CALLS["schedule"]) == (1, 2)
    schedule = Schedule.objects.get(node_id=act.id)
    assert schedule.finished and not schedule.scheduling


# -- duplicates, live leases, concurrent takeovers -------------------------------------------------------


def test_a_delivery_of_a_done_message_is_dropped_even_after_its_lease(crash_harness):
    act = trees.activity("counting_node")
    crash_harness.start(trees.linear_tree(act))
    first = crash_harness.broker.pop()
    crash_harness.broker.deliver(first)
    crash_harness.run_until_idle()
    _end_lease(first)
    sent = len(crash_harness.broker.sent)

    assert claim_delivery(EXECUTE_TASK_NAME, first.kwargs["headers"]).verdict is Verdict.DROP
    crash_harness.broker.deliver(first)

    assert CALLS["execute"] == 1 and len(crash_harness.broker.sent) == sent
    assert crash_harness.state(act.id).loop == 1


def test_a_delivery_during_a_live_lease_is_deferred_not_run(crash_harness):
    act = trees.activity("crash_once_node")
    root = crash_harness.start(trees.linear_tree(act))
    first = crash_harness.broker.pop()
    _crash(crash_harness, first)
    lease_until = DeliveryClaim.objects.get(token=_token(first)).lease_until

    crash_harness.broker.deliver(first)  # redelivered at once: the claimant might still be running

    assert CALLS["execute"] == 1 and crash_harness.state_name(act.id) == "RUNNING"
    deferred = crash_harness.broker.sent[-1]
    assert deferred.kwargs == first.kwargs  # the same message, same token
    assert deferred.task_name == EXECUTE_TASK_NAME
    remaining = (lease_until - timezone.now()).total_seconds()
    assert (
        remaining < deferred.options["countdown"] <= delivery.lease_seconds() + delivery.DEFER_MARGIN_SECONDS
    )
    assert deferred.options["queue"] == first.options["queue"]

    _end_lease(first)  # the dead worker never renews it
    crash_harness.run_until_idle()  # the deferred copy comes back and takes over
    _assert_each_node_entered_once(crash_harness, root)
    assert CALLS["execute"] == 2


def test_concurrent_redeliveries_take_over_exactly_once(crash_harness):
    act = trees.activity("crash_once_node")
    root = crash_harness.start(trees.linear_tree(act))
    first = crash_harness.broker.pop()
    _crash(crash_harness, first)
    _end_lease(first)

    verdicts = run_concurrently(lambda _: claim_delivery(EXECUTE_TASK_NAME, first.kwargs["headers"]), 4)

    kinds = Counter(claim.verdict for claim in verdicts)
    assert kinds[Verdict.TAKE_OVER] == 1, verdicts
    assert kinds[Verdict.TAKE_OVER] + kinds[Verdict.DROP] + kinds[Verdict.DEFER] == 4
    # The winner holds a fresh lease: a further delivery now waits instead of running.
    assert claim_delivery(EXECUTE_TASK_NAME, first.kwargs["headers"]).verdict is Verdict.DEFER
    _end_lease(first)
    crash_harness.broker.deliver(first)
    crash_harness.run_until_idle()
    _assert_each_node_entered_once(crash_harness, root)
    assert CALLS["execute"] == 2


def test_concurrent_full_redeliveries_run_the_engine_once(crash_harness):
    act = trees.activity("crash_once_node")
    root = crash_harness.start(trees.linear_tree(act))
    first = crash_harness.broker.pop()
    _crash(crash_harness, first)
    _end_lease(first)

    errors = [r for r in run_concurrently(lambda _: crash_harness.broker.deliver(first), 3) if r is not None]

    assert errors == []
    crash_harness.run_until_idle()
    _assert_each_node_entered_once(crash_harness, root)
    assert CALLS["execute"] == 2


# -- the claim lifecycle -------------------------------------------------------------------------------


def test_claim_is_done_after_an_exception_but_stays_open_after_worker_death(transactional_db):
    headers = {DELIVERY_TOKEN_HEADER: "raises"}
    claim = claim_delivery(EXECUTE_TASK_NAME, headers)
    with pytest.raises(ValueError), holding(claim):
        raise ValueError("a bug in the task body")
    assert DeliveryClaim.objects.get(token="raises").done
    assert claim_delivery(EXECUTE_TASK_NAME, headers).verdict is Verdict.DROP

    headers = {DELIVERY_TOKEN_HEADER: "killed"}
    claim = claim_delivery(EXECUTE_TASK_NAME, headers)
    assert "killed" in keeper.held()
    with pytest.raises(KeyboardInterrupt), holding(claim):
        raise KeyboardInterrupt
    assert not DeliveryClaim.objects.get(token="killed").done
    assert "killed" not in keeper.held()  # its lease is no longer renewed


def test_keeper_renews_only_the_leases_this_process_holds(transactional_db):
    past = timezone.now() - timedelta(seconds=5)
    for token in ("held", "released", "other-owner"):
        assert claim_delivery(EXECUTE_TASK_NAME, {DELIVERY_TOKEN_HEADER: token}).verdict is Verdict.RUN
    keeper.release("released")
    DeliveryClaim.objects.update(lease_until=past)
    DeliveryClaim.objects.filter(token="other-owner").update(owner="elsewhere:1")
    try:
        assert keeper.renew() == 1
    finally:
        for token in keeper.held():
            keeper.release(token)
    leases = dict(DeliveryClaim.objects.values_list("token", "lease_until"))
    assert leases["held"] > timezone.now()
    assert leases["released"] == past and leases["other-owner"] == past


def test_lease_length_comes_from_the_setting(transactional_db, settings):
    settings.BAMBOO_DJANGO_ERI_DELIVERY_LEASE_SECONDS = 120
    claim_delivery(EXECUTE_TASK_NAME, {DELIVERY_TOKEN_HEADER: "long"})
    keeper.release("long")
    lease = DeliveryClaim.objects.get(token="long").lease_until - timezone.now()
    assert timedelta(seconds=100) < lease <= timedelta(seconds=120)


def test_a_message_costs_two_claim_queries(crash_harness):
    crash_harness.start(trees.linear_tree(trees.activity("counting_node")))
    first = crash_harness.broker.pop()
    with capture_queries() as log:
        crash_harness.broker.deliver(first)
    claim_queries = {kind: n for kind, n in log.summary().items() if kind.endswith("eri_deliveryclaim")}
    assert claim_queries == {"INSERT INTO eri_deliveryclaim": 1, "UPDATE eri_deliveryclaim": 1}


def test_message_without_token_runs_unclaimed(transactional_db):
    claim = claim_delivery(EXECUTE_TASK_NAME, {})
    assert claim == Claim(Verdict.RUN) and claim.runs
    assert not DeliveryClaim.objects.exists()


def test_claim_of_a_message_celery_retries_stays_open(transactional_db):
    from django.db import OperationalError

    claim = claim_delivery(EXECUTE_TASK_NAME, {DELIVERY_TOKEN_HEADER: "retried"})
    with pytest.raises(OperationalError), holding(claim, (OperationalError,)):
        raise OperationalError("database went away")
    # Celery's retry of the message must be able to take it over, not be dropped as a duplicate.
    assert not DeliveryClaim.objects.get(token="retried").done
    assert "retried" not in keeper.held()


def test_schedule_lock_of_a_message_that_holds_it_itself_is_kept(transactional_db):
    from bamboo_engine.eri.models.interrupt import ScheduleInterruptPoint
    from pipeline.eri.celery.takeover import release_dead_schedule_lock

    schedule = Schedule.objects.create(type=1, node_id="n", version="v", scheduling=True)
    holds_lock = ScheduleInterruptPoint(name="APPLY_LOCK_DONE", lock_get=True).to_json()

    assert not release_dead_schedule_lock(schedule.id, holds_lock)
    assert Schedule.objects.get(id=schedule.id).scheduling
    assert release_dead_schedule_lock(schedule.id, "{}")
    assert not Schedule.objects.get(id=schedule.id).scheduling
    assert not release_dead_schedule_lock(schedule.id, "{}")  # nothing held any more
