"""Stuck-pipeline healing (``pipeline.eri.healing``): lost messages are found, re-sent, and limited.

Each stuck situation is built by running a pipeline on the synchronous harness and dropping the message
it waits for (or editing the rows a killed worker would leave), then aging the heartbeats and the
healer's watches instead of waiting: a process is healed on the second pass that sees it unchanged for
the quiet period.
"""

from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from prometheus_client import REGISTRY

from bamboo_engine import api
from bamboo_engine.builder import ParallelGateway
from bamboo_engine.metrics import HOST_NAME
from bamboo_engine.plugin import Service, StaticIntervalGenerator
from pipeline.eri.celery import healing_tasks
from pipeline.eri.celery.delivery import keeper
from pipeline.eri.celery.queues import EXECUTE_TASK_NAME
from pipeline.eri.continuation import rerun_point
from pipeline.eri.healing import rules
from pipeline.eri.healing.config import HealingConfig
from pipeline.eri.healing.healer import (
    BREAKER_OPEN,
    RATE_LIMITED,
    REDISPATCHED,
    REPORTED,
    WOULD_REDISPATCH,
    Healer,
)
from pipeline.eri.healing.redispatch import EXECUTE, Plan, send
from pipeline.eri.models import ExecutionHistory, HealingRecord, HealingWatch, Process, Schedule, State
from tests.contract import trees

CALLS: Counter = Counter()
CONFIG = HealingConfig()


class PollOnceService(Service):
    """POLL every 5 s; the first poll finishes."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(5)

    def execute(self, data, parent_data):
        CALLS["execute"] += 1
        return True

    def schedule(self, data, parent_data, callback_data=None):
        CALLS["schedule"] += 1
        self.finish_schedule()
        return True


class SlowPollService(PollOnceService):
    """POLL every 10 minutes."""

    interval = StaticIntervalGenerator(600)


class InlinePollCrashService(PollOnceService):
    """POLL at once (inline in the execute worker); the first poll kills the worker."""

    interval = StaticIntervalGenerator(0)

    def schedule(self, data, parent_data, callback_data=None):
        if not CALLS["crashed"]:
            CALLS["crashed"] += 1
            raise SystemExit("worker killed during the inline first poll")
        return super().schedule(data, parent_data, callback_data)


class ExecuteCrashService(Service):
    """The worker dies in the middle of the service (and the broker never redelivers)."""

    def execute(self, data, parent_data):
        raise SystemExit("worker killed in the middle of the service")


@pytest.fixture
def heal_harness(harness):
    CALLS.clear()
    harness.register_service("poll_once_node", PollOnceService)
    harness.register_service("slow_poll_node", SlowPollService)
    harness.register_service("inline_crash_node", InlinePollCrashService)
    harness.register_service("execute_crash_node", ExecuteCrashService)
    yield harness
    CALLS.clear()
    for token in keeper.held():  # claims of the "killed" deliveries
        keeper.release(token)


# -- helpers ---------------------------------------------------------------------------------------


def _healer(harness, dry_run=False, **limits):
    config = HealingConfig(**limits) if limits else CONFIG
    return Healer(runtime=harness.runtime, config=config, dry_run=dry_run)


def _age(seconds: float = 3600) -> None:
    """Make every heartbeat and every watch at least ``seconds`` old (time passing without progress).

    Heartbeats already that old are left as they are: they are part of what "unchanged" means.
    """
    past = timezone.now() - timedelta(seconds=seconds)
    Process.objects.filter(last_heartbeat__gt=past).update(last_heartbeat=past)
    HealingWatch.objects.update(since=past)


def _heal(harness, **limits):
    """Two passes an hour apart: the first starts watching, the second finds the process unchanged."""
    _age()
    _healer(harness, **limits).run_pass()
    _age()
    return _healer(harness, **limits).run_pass()


def _deliver_ready(harness) -> None:
    """Deliver what is due now; delayed messages (later polls) stay queued."""
    while (message := harness.broker.pop(auto_advance=False)) is not None:
        harness.broker.deliver(message)


def _sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, {**labels, "hostname": HOST_NAME}) or 0.0


def _redispatches(reason: str, kind: str = "execute") -> float:
    return _sample("pipeline_healing_redispatches_total", reason=reason, kind=kind)


def _decisions(report) -> list:
    return sorted((outcome.action, outcome.reason) for outcome in report.outcomes)


def _assert_finished_once(harness, root_id: str) -> None:
    assert harness.state_name(root_id) == "FINISHED"
    assert sorted({state.loop for state in State.objects.all()}) == [1]
    assert ExecutionHistory.objects.count() == 0


def _root_process(root_id: str) -> Process:
    return Process.objects.get(root_pipeline_id=root_id, parent_id=-1)


# -- each kind of lost message ---------------------------------------------------------------------


def test_a_lost_first_execute_message_is_re_sent_and_the_pipeline_finishes(heal_harness):
    root = heal_harness.start(trees.linear_tree(trees.activity("empty_node")))
    heal_harness.broker.ready.clear()  # the first execute message is lost
    found_before = _sample("pipeline_healing_stuck_found_total", reason=rules.NEVER_STARTED)
    sent_before = _redispatches(rules.NEVER_STARTED)

    report = _heal(heal_harness)
    heal_harness.run_until_idle()

    assert _decisions(report) == [(REDISPATCHED, rules.NEVER_STARTED)]
    _assert_finished_once(heal_harness, root)
    record = HealingRecord.objects.get(root_pipeline_id=root)
    assert (record.action, record.reason) == (REDISPATCHED, rules.NEVER_STARTED)
    assert _redispatches(rules.NEVER_STARTED) == sent_before + 1
    assert _sample("pipeline_healing_stuck_found_total", reason=rules.NEVER_STARTED) == found_before + 1
    assert _healer(heal_harness).run_pass().watched == 0 and not HealingWatch.objects.exists()


def test_a_lost_poll_message_is_re_sent(heal_harness):
    act = trees.activity("poll_once_node")
    root = heal_harness.start(trees.linear_tree(act))
    _deliver_ready(heal_harness)
    heal_harness.broker.delayed.clear()  # the next poll is lost
    sent_before = _redispatches(rules.LOST_POLL, "schedule")

    report = _heal(heal_harness)
    heal_harness.run_until_idle()

    assert _decisions(report) == [(REDISPATCHED, rules.LOST_POLL)]
    _assert_finished_once(heal_harness, root)
    assert CALLS["schedule"] == 1
    assert _redispatches(rules.LOST_POLL, "schedule") == sent_before + 1


def test_a_worker_killed_during_the_inline_first_poll_is_polled_again(heal_harness):
    act = trees.activity("inline_crash_node")
    root = heal_harness.start(trees.linear_tree(act))
    with pytest.raises(SystemExit):
        heal_harness.broker.deliver(heal_harness.broker.pop())
    # The broker never redelivers it: the node is RUNNING with an unfinished POLL and no message.
    assert heal_harness.state_name(act.id) == "RUNNING"
    assert not _root_process(root).asleep

    report = _heal(heal_harness)
    heal_harness.run_until_idle()

    assert _decisions(report) == [(REDISPATCHED, rules.LOST_POLL)]
    _assert_finished_once(heal_harness, root)
    assert CALLS["execute"] == 1  # only the poll ran again


def test_a_parent_never_woken_after_its_children_finished_goes_on(heal_harness):
    pg = ParallelGateway()
    tree, cg = trees.gateway_tree(pg, [trees.activity("empty_node"), trees.activity("empty_node")])
    root = heal_harness.start(tree)
    parent_id = _root_process(root).id
    dropped = []
    while (message := heal_harness.broker.pop()) is not None:
        kwargs = message.kwargs
        if message.task_name == EXECUTE_TASK_NAME and (kwargs["process_id"], kwargs["node_id"]) == (
            parent_id,
            cg.id,
        ):
            dropped.append(message)  # the last child's dispatch of the parent is lost
            continue
        heal_harness.broker.deliver(message)
    assert len(dropped) == 1 and heal_harness.state(cg.id) is None

    report = _heal(heal_harness)
    heal_harness.run_until_idle()

    assert _decisions(report) == [(REDISPATCHED, rules.PARENT_NOT_WOKEN)]
    _assert_finished_once(heal_harness, root)


def test_children_forked_but_never_dispatched_are_started(heal_harness):
    pg = ParallelGateway()
    tree, _cg = trees.gateway_tree(pg, [trees.activity("empty_node"), trees.activity("empty_node")])
    root = heal_harness.start(tree)
    heal_harness.broker.deliver(heal_harness.broker.pop())  # start, fork, join, dispatch the children
    assert len(heal_harness.broker.ready) == 2
    heal_harness.broker.ready.clear()  # the worker died before the children's messages went out

    report = _heal(heal_harness)
    heal_harness.run_until_idle()

    assert _decisions(report) == [(REDISPATCHED, rules.LOST_EXECUTE)] * 2
    _assert_finished_once(heal_harness, root)


def test_a_fork_whose_join_and_dispatch_were_lost_is_healed_in_two_steps(heal_harness):
    pg = ParallelGateway()
    tree, _cg = trees.gateway_tree(pg, [trees.activity("empty_node"), trees.activity("empty_node")])
    root = heal_harness.start(tree)
    heal_harness.broker.deliver(heal_harness.broker.pop())
    heal_harness.broker.ready.clear()
    # Killed right after the parent went to sleep: no join, no children's messages.
    Process.objects.filter(root_pipeline_id=root, parent_id=-1).update(need_ack=-1, ack_num=0)

    children = _heal(heal_harness)
    heal_harness.run_until_idle()  # the children finish, but nobody is waiting for them
    assert heal_harness.state_name(root) == "RUNNING"
    parent = _heal(heal_harness)
    heal_harness.run_until_idle()

    assert _decisions(children) == [(REDISPATCHED, rules.LOST_EXECUTE)] * 2
    assert _decisions(parent) == [(REDISPATCHED, rules.PARENT_NOT_WOKEN)]
    _assert_finished_once(heal_harness, root)


def test_a_fork_killed_before_its_join_is_healed_by_its_parent_alone(heal_harness, monkeypatch):
    from pipeline.eri.imp.process import ProcessMixin

    def killed(self, process_id, children):
        raise SystemExit("worker killed between the fork and its join")

    pg = ParallelGateway()
    tree, _cg = trees.gateway_tree(pg, [trees.activity("empty_node"), trees.activity("empty_node")])
    root = heal_harness.start(tree)
    with monkeypatch.context() as patch:
        patch.setattr(ProcessMixin, "join", killed)
        with pytest.raises(SystemExit):
            heal_harness.broker.deliver(heal_harness.broker.pop())
    # The parent is awake at its finished gateway, its two children exist, unjoined and never sent.

    report = _heal(heal_harness)
    heal_harness.run_until_idle()

    assert _decisions(report) == [(REDISPATCHED, rules.NOT_MOVED_ON)]  # the children are sent by it
    _assert_finished_once(heal_harness, root)


def test_an_activity_whose_schedule_was_never_created_runs_again(heal_harness):
    act = trees.activity("poll_once_node")
    root = heal_harness.start(trees.linear_tree(act))
    _deliver_ready(heal_harness)
    # A worker killed between "process asleep" and "schedule created" leaves no schedule and no message.
    heal_harness.broker.delayed.clear()
    Schedule.objects.all().delete()
    version = heal_harness.state(act.id).version

    report = _heal(heal_harness)
    heal_harness.run_until_idle()

    assert _decisions(report) == [(REDISPATCHED, rules.MISSING_SCHEDULE)]
    _assert_finished_once(heal_harness, root)
    assert heal_harness.state(act.id).version == version  # the same run was continued
    assert CALLS["execute"] == 2  # at-least-once: the service ran again


def test_a_finished_node_whose_next_execute_was_lost_moves_on(heal_harness):
    act = trees.activity("poll_once_node")
    root = heal_harness.start(trees.linear_tree(act))
    _deliver_ready(heal_harness)
    heal_harness.broker.deliver(heal_harness.broker.pop())  # the poll finishes the node...
    heal_harness.broker.ready.clear()  # ...and its execute at the next node is lost
    assert heal_harness.state_name(act.id) == "FINISHED"

    report = _heal(heal_harness)
    heal_harness.run_until_idle()

    assert _decisions(report) == [(REDISPATCHED, rules.NOT_MOVED_ON)]
    _assert_finished_once(heal_harness, root)
    assert (CALLS["execute"], CALLS["schedule"]) == (1, 1)


def test_a_lost_callback_message_is_delivered_again(heal_harness):
    act = trees.activity("callback_node")
    root = heal_harness.start(trees.linear_tree(act))
    _deliver_ready(heal_harness)
    result = api.callback(heal_harness.runtime, act.id, heal_harness.state(act.id).version, {"ok": True})
    assert result.result, result.message
    heal_harness.broker.ready.clear()  # the callback's schedule message is lost

    report = _heal(heal_harness)
    heal_harness.run_until_idle()

    assert _decisions(report) == [(REDISPATCHED, rules.LOST_CALLBACK)]
    _assert_finished_once(heal_harness, root)


def test_a_process_back_at_a_node_it_finished_earlier_enters_it_again(heal_harness):
    first, waiting = trees.activity("empty_node"), trees.activity("callback_node")
    root = heal_harness.start(trees.linear_tree(first, waiting))
    _deliver_ready(heal_harness)
    # As if a loop brought the process back to ``first`` and the worker died before entering it again.
    _age()
    State.objects.filter(node_id=first.id).update(archived_time=timezone.now() - timedelta(hours=2))
    Process.objects.filter(root_pipeline_id=root).update(current_node_id=first.id)
    _healer(heal_harness).run_pass()
    _age()

    report = _healer(heal_harness, dry_run=True).run_pass()

    assert _decisions(report) == [(WOULD_REDISPATCH, rules.LOST_EXECUTE)]
    plan = report.outcomes[0].detail["plan"]
    assert (plan["node_id"], "recover_point" in plan) == (first.id, False)  # entered anew, not moved past


def test_a_process_awake_on_a_running_activity_is_only_reported(heal_harness):
    root = heal_harness.start(trees.linear_tree(trees.activity("execute_crash_node")))
    with pytest.raises(SystemExit):
        heal_harness.broker.deliver(heal_harness.broker.pop())
    sent = len(heal_harness.broker.sent)

    report = _heal(heal_harness)
    _age()
    again = _healer(heal_harness).run_pass()

    assert _decisions(report) == [(REPORTED, rules.NO_PROGRESS)]
    assert _decisions(again) == [(REPORTED, rules.NO_PROGRESS)]
    assert len(heal_harness.broker.sent) == sent  # the service may still be running: nothing re-sent
    assert HealingRecord.objects.filter(root_pipeline_id=root, action=REPORTED).count() == 1


# -- healthy pipelines are not touched -------------------------------------------------------------


def test_pipelines_waiting_for_a_callback_or_an_operator_are_left_alone(heal_harness):
    waiting = heal_harness.start(trees.linear_tree(trees.activity("callback_node")))
    failed = trees.activity("fail_node")
    failing = heal_harness.start(trees.linear_tree(failed))
    heal_harness.run_until_idle()
    assert heal_harness.state_name(failed.id) == "FAILED"
    sent = len(heal_harness.broker.sent)

    report = _heal(heal_harness)

    assert report.watched == 2 and report.outcomes == []
    assert len(heal_harness.broker.sent) == sent
    assert not HealingRecord.objects.exists()
    assert {heal_harness.state_name(waiting), heal_harness.state_name(failing)} == {"RUNNING"}


def test_a_poll_not_yet_due_and_a_fresh_heartbeat_are_not_touched(heal_harness):
    heal_harness.start(trees.linear_tree(trees.activity("slow_poll_node")))
    _deliver_ready(heal_harness)  # the next poll is due in 600 s
    fresh = heal_harness.start(trees.linear_tree(trees.activity("empty_node")))  # first message queued
    _age()
    Process.objects.filter(root_pipeline_id=fresh).update(last_heartbeat=timezone.now())
    _healer(heal_harness).run_pass()
    HealingWatch.objects.update(since=timezone.now() - timedelta(seconds=600))  # < interval + grace
    sent = len(heal_harness.broker.sent)

    report = _healer(heal_harness).run_pass()

    assert (report.watched, report.suspected, report.outcomes) == (1, 1, [])
    assert len(heal_harness.broker.sent) == sent
    heal_harness.run_until_idle()
    assert CALLS["schedule"] == 1 and not HealingRecord.objects.exists()


def test_a_needless_poll_redispatch_changes_nothing(heal_harness):
    act = trees.activity("poll_once_node")
    root = heal_harness.start(trees.linear_tree(act))
    _deliver_ready(heal_harness)  # the next poll is still queued: the pipeline is NOT stuck

    report = _heal(heal_harness)  # fooled by the aging: it re-sends the poll anyway
    heal_harness.run_until_idle()

    assert _decisions(report) == [(REDISPATCHED, rules.LOST_POLL)]
    _assert_finished_once(heal_harness, root)
    assert CALLS["schedule"] == 1  # the late original poll found the schedule finished and was dropped
    assert Schedule.objects.get(node_id=act.id).schedule_times == 1


def test_a_needless_execute_redispatch_changes_nothing(heal_harness):
    act = trees.activity("empty_node")
    root = heal_harness.run_to_end(trees.linear_tree(act))
    rows = list(State.objects.order_by("node_id").values_list("node_id", "name", "version", "loop"))
    state = heal_harness.state(act.id)
    plan = Plan(EXECUTE, _root_process(root).id, act.id, root, root, recover_point=rerun_point(state.version))

    send(heal_harness.runtime, plan)  # "continue the RUNNING run" of a node that finished long ago
    heal_harness.run_until_idle()

    assert list(State.objects.order_by("node_id").values_list("node_id", "name", "version", "loop")) == rows
    assert ExecutionHistory.objects.count() == 0


# -- limits, dry run, entry points -----------------------------------------------------------------


def test_the_rate_limit_holds_back_repeated_redispatches_of_a_pipeline(heal_harness):
    root = heal_harness.start(trees.linear_tree(trees.activity("empty_node")))
    heal_harness.broker.ready.clear()
    first = _heal(heal_harness, max_per_pipeline_per_hour=1)
    heal_harness.broker.ready.clear()  # the re-sent message is lost too
    limited_before = _sample("pipeline_healing_rate_limited_total", reason=rules.NEVER_STARTED)
    sent = len(heal_harness.broker.sent)

    _age()  # still unchanged a quiet period after the re-dispatch
    second = _healer(heal_harness, max_per_pipeline_per_hour=1).run_pass()
    _age()
    third = _healer(heal_harness, max_per_pipeline_per_hour=1).run_pass()

    assert _decisions(first) == [(REDISPATCHED, rules.NEVER_STARTED)]
    assert _decisions(second) == _decisions(third) == [(RATE_LIMITED, rules.NEVER_STARTED)]
    assert len(heal_harness.broker.sent) == sent
    actions = list(HealingRecord.objects.filter(root_pipeline_id=root).order_by("id").values_list("action"))
    assert actions == [(REDISPATCHED,), (RATE_LIMITED,)]  # recorded once while nothing changes
    assert _sample("pipeline_healing_rate_limited_total", reason=rules.NEVER_STARTED) == limited_before + 2


def test_the_circuit_breaker_stops_a_pass_after_its_redispatch_budget(heal_harness):
    roots = [heal_harness.start(trees.linear_tree(trees.activity("empty_node"))) for _ in range(3)]
    heal_harness.broker.ready.clear()
    trips_before = _sample("pipeline_healing_breaker_trips_total")

    report = _heal(heal_harness, max_per_pass=2)

    assert report.breaker_tripped
    assert report.count(REDISPATCHED) == 2 and report.count(BREAKER_OPEN) == 1
    assert len(heal_harness.broker.ready) == 2
    breaker = HealingRecord.objects.get(action=BREAKER_OPEN)
    assert '"max_per_pass": 2' in breaker.detail and str(report.outcomes[-1].process_id) in breaker.detail
    assert _sample("pipeline_healing_breaker_trips_total") == trips_before + 1

    heal_harness.run_until_idle()
    _heal(heal_harness, max_per_pass=2)  # the next pass picks up what was held back
    heal_harness.run_until_idle()
    assert all(heal_harness.state_name(root) == "FINISHED" for root in roots)


def test_a_dry_run_reports_but_writes_and_sends_nothing(heal_harness):
    heal_harness.start(trees.linear_tree(trees.activity("empty_node")))
    heal_harness.broker.ready.clear()
    _age()
    _healer(heal_harness).run_pass()  # a real pass started watching
    _age()
    watches = list(HealingWatch.objects.values_list("process_id", "fingerprint", "since"))

    report = _healer(heal_harness, dry_run=True).run_pass()
    out = StringIO()
    call_command("heal_stuck_pipelines", "--dry-run", stdout=out)

    assert _decisions(report) == [(WOULD_REDISPATCH, rules.NEVER_STARTED)]
    assert "would_redispatch" in out.getvalue() and "(dry run)" in out.getvalue()
    assert not heal_harness.broker.sent[1:] and not heal_harness.broker.ready
    assert not HealingRecord.objects.exists()
    assert list(HealingWatch.objects.values_list("process_id", "fingerprint", "since")) == watches


def test_the_command_and_the_celery_task_run_a_pass(heal_harness):
    root = heal_harness.start(trees.linear_tree(trees.activity("empty_node")))
    heal_harness.broker.ready.clear()
    _age()
    assert healing_tasks.heal_stuck_pipelines() == {"watched": 1, "suspected": 1}
    _age()

    out = StringIO()
    call_command("heal_stuck_pipelines", stdout=out)
    heal_harness.run_until_idle()

    assert f"redispatched: pipeline {root}" in out.getvalue()
    assert heal_harness.state_name(root) == "FINISHED"


def test_healing_records_have_a_read_only_admin():
    from django.contrib import admin

    model_admin = admin.site._registry[HealingRecord]
    assert not model_admin.has_change_permission(None) and not model_admin.has_delete_permission(None)
    assert admin.site.is_registered(HealingWatch)
