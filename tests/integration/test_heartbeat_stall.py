"""Our default configuration does not stall a gevent worker between messages.

Measured here: Celery 5.5+ with the gevent pool and an AMQP heartbeat (the default is 120 s) takes
about 0.1 s per queued message, about ten messages a second per worker whatever ``-c`` is;
``broker_heartbeat = 0`` removes the stall, so it is our default (playground/settings.py,
docs/workers.md). The test queues a burst of cheap messages (``tests.integration.touch``, no engine
work) for one ``-P gevent -c 100`` worker with the default configuration and polls until all were
consumed. A stalled worker would need ``BURST / 10`` = 40 s, beyond the poll's timeout; ours needs
about a second. ``--heartbeat-contrast`` runs the same burst with a heartbeat to show the stall.
"""

import time

import pytest

from tests.integration.env import Session, Worker, wait_until
from tests.integration.helpers import PROBE_IMPORTS

pytestmark = pytest.mark.integration

QUEUE = "hb"
TOUCH_TASK_NAME = "tests.integration.touch"  # registered by tests.integration.worker_plugins
BURST = 400
#: A stalled worker needs BURST x 0.1 s = 40 s.
TIMEOUT = 30.0


def _start_worker(session: Session, name: str, **env: str) -> Worker:
    queues = [f"er_execute_{QUEUE}", f"er_schedule_{QUEUE}"]
    return Worker(session, name, "gevent", 100, queues, {**PROBE_IMPORTS, **env}).start()


def _worker_heartbeat(worker: Worker) -> object:
    """The heartbeat the running worker uses (asked over the broker)."""
    from celery import current_app

    replies = current_app.control.inspect([worker.nodename], timeout=5, limit=1).conf() or {}
    conf = replies.get(worker.nodename, {})
    # The app reads Django settings with the CELERY_ namespace, so the worker reports that key.
    return conf.get("CELERY_BROKER_HEARTBEAT", conf.get("broker_heartbeat"))


def _burst(session: Session, label: str, timeout: float) -> float:
    """Queue BURST messages, wait until all were consumed; prints and returns messages per second."""
    from celery import current_app

    before = session.touched()
    started = time.monotonic()
    for index in range(BURST):
        current_app.send_task(TOUCH_TASK_NAME, args=(index,), queue=f"er_execute_{QUEUE}")
    wait_until(lambda: session.touched() - before >= BURST, timeout, f"{BURST} messages consumed ({label})")
    rate = BURST / (time.monotonic() - started)
    print(f"{label}: {BURST} queued messages at {rate:.0f} messages/s")
    return rate


def test_default_config_gevent_worker_does_not_stall(it_session):
    worker = _start_worker(it_session, "heartbeat-default")
    try:
        assert _worker_heartbeat(worker) == 0
        assert _burst(it_session, "gevent -c 100, broker_heartbeat=0 (our default)", TIMEOUT) > 0
    finally:
        worker.stop()


@pytest.mark.heartbeat_contrast
def test_contrast_with_heartbeat_enabled(it_session):
    """Shows the stall the default avoids (about ten messages a second)."""
    worker = _start_worker(it_session, "heartbeat-120", BAMBOO_BROKER_HEARTBEAT="120")
    try:
        assert _worker_heartbeat(worker) == 120
        _burst(it_session, "gevent -c 100, broker_heartbeat=120 (Celery's default)", 300)
    finally:
        worker.stop()
