"""What every worker does besides tasks: Celery defaults, the claim sweep, the maintenance rounds."""

from datetime import timedelta

import pytest
from celery import Celery
from django.utils import timezone

from pipeline.eri.celery import maintenance, sweep
from pipeline.eri.celery.delivery import lease_seconds
from pipeline.eri.celery.maintenance import Maintenance, apply_worker_defaults, take_lease
from pipeline.eri.celery.queues import EXECUTE_TASK_NAME
from pipeline.eri.imp.task import DELIVERY_TOKEN_HEADER
from pipeline.eri.models import DeliveryClaim, MaintenanceLease, OutboxMessage, State
from tests.contract import trees
from tests.django.test_delivery_takeover import CALLS, CrashOnceService, _crash

# -- One disabled result backend per worker -----------------------------------------------------------


def _backend_in_another_thread(app: Celery, task_name: str):
    import threading

    seen = {}
    thread = threading.Thread(target=lambda: seen.update(app=app.backend, task=app.tasks[task_name].backend))
    thread.start()
    thread.join()
    return seen["app"], seen["task"]


def test_without_a_result_backend_the_tasks_share_one_disabled_backend():
    from celery.backends.base import DisabledBackend

    from pipeline.eri.celery.queues import SCHEDULE_TASK_NAME

    app = _upstream_style_app(broker_url="memory://")
    assert maintenance.share_disabled_backend(app) is True
    shared = app.tasks[EXECUTE_TASK_NAME].backend
    assert isinstance(shared, DisabledBackend) and app.tasks[SCHEDULE_TASK_NAME].backend is shared
    app_backend, task_backend = _backend_in_another_thread(app, EXECUTE_TASK_NAME)
    assert app_backend is not shared  # Celery's own per-thread backend is left alone
    assert task_backend is shared
    assert app.tasks[EXECUTE_TASK_NAME].AsyncResult("some-id").backend is shared


def test_a_configured_result_backend_is_left_alone():
    app = _upstream_style_app(broker_url="memory://", result_backend="cache+memory://")
    assert maintenance.share_disabled_backend(app) is False
    assert app.tasks[EXECUTE_TASK_NAME]._backend is None
    assert app.tasks[EXECUTE_TASK_NAME].backend is app.backend


def test_the_worker_init_signal_shares_the_backend():
    from celery import signals

    app = _upstream_style_app(broker_url="memory://")
    signals.worker_init.send(sender=type("Worker", (), {"app": app})())
    assert app.tasks[EXECUTE_TASK_NAME]._backend is app.backend


# -- Celery defaults ------------------------------------------------------------------------------------


def _upstream_style_app(**settings) -> Celery:
    app = Celery("upstream_style", set_as_current=False)
    app.config_from_object(dict(settings))
    return app


def test_a_project_without_our_celery_settings_gets_the_runtime_defaults():
    conf = _upstream_style_app(broker_url="amqp://guest@localhost//").conf

    applied = apply_worker_defaults(conf, pool="gevent")

    assert applied == {
        "worker_prefetch_multiplier": 1,
        "broker_transport_options": {"confirm_publish": True},
        "broker_heartbeat": 0,
    }
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options == {"confirm_publish": True}
    assert conf.broker_heartbeat == 0


def test_settings_the_project_chose_are_kept():
    conf = _upstream_style_app(
        worker_prefetch_multiplier=8,
        broker_transport_options={"confirm_publish": False, "max_retries": 3},
        broker_heartbeat=60,
    ).conf

    assert apply_worker_defaults(conf, pool="gevent") == {}
    assert (conf.worker_prefetch_multiplier, conf.broker_heartbeat) == (8, 60)
    assert conf.broker_transport_options == {"confirm_publish": False, "max_retries": 3}


def test_old_style_setting_names_count_as_set():
    conf = _upstream_style_app(CELERYD_PREFETCH_MULTIPLIER=4).conf
    assert "worker_prefetch_multiplier" not in apply_worker_defaults(conf, pool="prefork")


def test_the_heartbeat_is_left_alone_for_prefork_pools():
    conf = _upstream_style_app().conf
    assert "broker_heartbeat" not in apply_worker_defaults(conf, pool="prefork")


def test_the_runtime_tasks_acknowledge_late_and_requeue_on_worker_loss():
    from pipeline.contrib.plugin_execute import tasks as plugin_tasks
    from pipeline.eri.celery import tasks

    for task in (tasks.execute, tasks.schedule, plugin_tasks.execute, plugin_tasks.schedule):
        assert (task.acks_late, task.reject_on_worker_lost) == (True, True), task.name


# -- the maintenance lease ------------------------------------------------------------------------------


def test_one_worker_holds_a_maintenance_lease_until_it_runs_out(transactional_db):
    assert take_lease("job", "a:1", 60)
    assert not take_lease("job", "b:2", 60)
    assert take_lease("job", "a:1", 60)  # the holder renews it

    MaintenanceLease.objects.filter(name="job").update(until=timezone.now() - timedelta(seconds=1))
    assert take_lease("job", "b:2", 60)
    assert not take_lease("job", "a:1", 60)


# -- the claim sweep ------------------------------------------------------------------------------------


@pytest.fixture
def abandoned(harness):
    """A message claimed by a worker that died (its claim open), whose redelivery never came."""
    CALLS.clear()
    harness.register_service("crash_once_node", CrashOnceService)
    act = trees.activity("crash_once_node")
    root = harness.start(trees.linear_tree(act))
    message = harness.broker.pop()
    _crash(harness, message)
    token = message.kwargs["headers"][DELIVERY_TOKEN_HEADER]
    yield harness, root, token
    from pipeline.eri.celery.delivery import keeper

    for held in keeper.held():
        keeper.release(held)


def _lease_ended(token: str, leases_ago: float) -> None:
    ended = timezone.now() - timedelta(seconds=lease_seconds() * leases_ago)
    DeliveryClaim.objects.filter(token=token).update(lease_until=ended)


def test_a_claim_abandoned_for_over_a_lease_is_sent_again_and_taken_over(abandoned):
    harness, root, token = abandoned
    _lease_ended(token, 0.5)
    assert sweep.sweep_abandoned_claims() == 0  # a redelivery may still be on its way

    _lease_ended(token, 1.5)
    assert sweep.sweep_abandoned_claims() == 1
    assert sweep.sweep_abandoned_claims() == 0  # taken: sent once per two leases at most
    resent = harness.broker.sent[-1]
    assert resent.task_name == EXECUTE_TASK_NAME
    assert resent.kwargs["headers"][DELIVERY_TOKEN_HEADER] == token

    harness.run_until_idle()  # the copy finds the lease over and takes the run over

    assert harness.state_name(root) == "FINISHED"
    assert CALLS["execute"] == 2
    assert DeliveryClaim.objects.get(token=token).done
    assert sweep.sweep_abandoned_claims() == 0


def test_a_claim_still_abandoned_two_leases_after_its_resend_is_sent_again(abandoned):
    harness, _, token = abandoned
    _lease_ended(token, 1.5)
    assert sweep.sweep_abandoned_claims() == 1
    DeliveryClaim.objects.filter(token=token).update(
        resent_at=timezone.now() - timedelta(seconds=lease_seconds() * 2.5)
    )
    assert sweep.sweep_abandoned_claims() == 1


def test_done_claims_leave_the_sweep_index(abandoned):
    harness, _, token = abandoned
    _lease_ended(token, 1.5)
    assert sweep.sweep_abandoned_claims() == 1
    harness.run_until_idle()
    assert DeliveryClaim.objects.get(token=token).lease_until is None


# -- the rounds -----------------------------------------------------------------------------------------


def test_a_round_relays_sweeps_and_heals_each_on_its_own_interval(transactional_db, monkeypatch):
    ran = []
    monkeypatch.setattr("pipeline.eri.outbox.relay_once", lambda: ran.append("relay"))
    monkeypatch.setattr(sweep, "sweep_abandoned_claims", lambda: ran.append("sweep"))
    monkeypatch.setattr("pipeline.eri.healing.healer.heal_stuck_pipelines", _pass_recorder(ran))
    worker, other = Maintenance("a:1"), Maintenance("b:2")

    assert worker.run_round(now=0) == ["outbox relay", "claim sweep", "healing"]
    assert other.run_round(now=0) == ["outbox relay", "claim sweep", "healing"]
    assert ran.count("heal") == 1  # the second worker did not get the healing lease
    assert worker.run_round(now=1) == []
    assert worker.run_round(now=lease_seconds() / 3) == ["outbox relay", "claim sweep"]


def _pass_recorder(ran):
    from pipeline.eri.healing.healer import PassReport

    def heal():
        ran.append("heal")
        return PassReport(dry_run=False)

    return heal


def test_a_failing_job_does_not_stop_the_round(transactional_db, monkeypatch):
    def broken():
        raise RuntimeError("database away")

    monkeypatch.setattr("pipeline.eri.outbox.relay_once", broken)
    assert Maintenance("a:1").run_round(now=0) == ["outbox relay", "claim sweep", "healing"]


def test_the_relay_round_publishes_what_a_dead_process_left(harness, monkeypatch):
    from pipeline.eri.imp import task as task_module

    monkeypatch.setattr(task_module, "publish", lambda *message: (_ for _ in ()).throw(ConnectionError()))
    root = harness.start(trees.linear_tree(trees.activity("copy_node", x=trees.plain(1))))
    assert harness.broker.sent == [] and OutboxMessage.objects.count() == 1
    OutboxMessage.objects.update(publish_after=timezone.now())
    monkeypatch.setattr("pipeline.eri.celery.publisher.publish", harness.broker.publish)

    Maintenance("a:1").run_round(now=0)
    harness.run_until_idle()

    assert harness.state_name(root) == "FINISHED"
    assert State.objects.filter(name="FINISHED").count() >= 3


def test_maintenance_can_be_switched_off(settings):
    settings.BAMBOO_WORKER_MAINTENANCE = False
    assert maintenance.start("a:1") is None
