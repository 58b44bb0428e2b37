"""Imported by integration workers at start (``BAMBOO_CELERY_IMPORTS``).

* Every worker: a ``post_set_state`` receiver (the "finish probe") appends the node id of each committed
  FINISHED transition to ``$BAMBOO_TEST_PROBE_DIR/<pid>.log``, so a test can prove that no node was
  marked FINISHED twice, even across a worker killed mid-run.
* With ``BAMBOO_TEST_PAUSE_AFTER_FINISHED=<seconds>``: every FINISHED transition is followed by a pause
  of that long in the greenlet that made it, so that a worker killed at a random moment is likely to
  die right after a node finished and before the process moved on (``test_chaos_kill.py``).
* ``tests.integration.touch``: a task that only appends its argument to ``touch-<pid>.log`` in the same
  directory, to measure the message throughput of a worker without the engine's work.
* A watchdog: when the pytest process that started the worker (``BAMBOO_TEST_PARENT_PID``) is gone,
  the worker terminates its own process group, so a killed test run leaves no worker behind.
* With ``BAMBOO_CONTRACT_PLUGINS=1``: the plugins of the contract suite (``tests.contract.services``)
  are registered in the component framework, its runtime fault (``tests.contract.faults``) is armed, and
  the runtime's writes follow the interrupt plans the contract tests drop into the probe directory
  (``tests.contract.interrupts``), for the contract suite's ``django-mariadb`` harness.
* The components of ``tests.integration.broken_plugins``.
"""

import os
import signal
import threading
import time

from celery import shared_task
from django.db import transaction

from pipeline.eri.signals import post_set_state
from tests.integration import broken_plugins  # noqa: F401 - registers its components

PROBE_DIR_ENV = "BAMBOO_TEST_PROBE_DIR"
PARENT_PID_ENV = "BAMBOO_TEST_PARENT_PID"
TOUCH_TASK_NAME = "tests.integration.touch"
PAUSE_ENV = "BAMBOO_TEST_PAUSE_AFTER_FINISHED"


def _append(line: str, prefix: str = "") -> None:
    probe_dir = os.environ.get(PROBE_DIR_ENV)
    if not probe_dir:
        return
    # One short O_APPEND write per line: lines of concurrent greenlets or processes never interleave.
    path = os.path.join(probe_dir, f"{prefix}{os.getpid()}.log")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        os.write(descriptor, f"{line}\n".encode())
    finally:
        os.close(descriptor)


def record_finished(sender, node_id, to_state, **kwargs):
    """Log ``node_id`` once the transaction that set it FINISHED has committed."""
    if to_state == "FINISHED":
        transaction.on_commit(lambda: _append(node_id))


def pause_after_finished(sender, node_id, to_state, **kwargs):
    """Widen the window between a node's FINISHED and the process's next step (cooperative sleep)."""
    if to_state == "FINISHED":
        time.sleep(float(os.environ[PAUSE_ENV]))


@shared_task(name=TOUCH_TASK_NAME, ignore_result=True)
def touch(index: int) -> None:
    """Record that message ``index`` was consumed."""
    _append(str(index), prefix="touch-")


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(2)
    os.killpg(os.getpgrp(), signal.SIGTERM)


post_set_state.connect(record_finished, dispatch_uid="tests.integration.finish_probe")
if os.environ.get(PAUSE_ENV):
    post_set_state.connect(pause_after_finished, dispatch_uid="tests.integration.pause_after_finished")

if os.environ.get(PARENT_PID_ENV):
    threading.Thread(
        target=_watch_parent, args=(int(os.environ[PARENT_PID_ENV]),), name="parent-watchdog", daemon=True
    ).start()

if os.environ.get("BAMBOO_CONTRACT_PLUGINS") == "1":
    from tests.contract.django_harness import register_contract_plugins
    from tests.contract.interrupts import install_from_environment

    register_contract_plugins()
    install_from_environment()
