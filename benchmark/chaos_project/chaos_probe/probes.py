"""What the chaos suite counts, recorded by the workers into tables of the run's database.

* ``chaos_execute``: one row per call of the ``chaos_node`` service's ``execute`` (node id, node version,
  worker pid). Written in autocommit, outside the engine's units (the engine never wraps service code
  in a transaction): a row is the side effect a real service would have had.
* ``chaos_finished``: one row per FINISHED transition, written by a ``post_set_state`` receiver on the
  connection that wrote the state. Inside one of the engine's units (a node's final write) the row
  commits or rolls back with the state change, so only transitions that really happened are counted.

A probe write that fails (the database is being restarted, the connection was killed) must not change
what is being measured: the error is swallowed and appended to ``$CHAOS_PROBE_DIR/probe-errors-<pid>.log``
(the suite reports how many). Both tables are created by the harness
(``benchmark.chaos_measure.PROBE_TABLES``).

Faults the suite injects from inside the processes (``CHAOS_FAULT``, read at import):

* ``duplicate``: every runtime message is published twice, identical (same task id, body and headers),
  as a broker that redelivers everything would hand it over.
"""

import logging
import os
import time

from django.db import connection

logger = logging.getLogger(__name__)

_RUNTIME_TASK_PREFIX = "pipeline.eri.celery.tasks."


def _record(table: str, node_id: str, version: str) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (node_id, version, pid, at) VALUES (%s, %s, %s, %s)",
                [node_id, version or "", os.getpid(), time.time()],
            )
    except Exception as err:  # noqa: BLE001 - a probe never changes the outcome it measures
        _note_error(f"{table} {node_id} {version} {err!r}")


def _note_error(line: str) -> None:
    probe_dir = os.environ.get("CHAOS_PROBE_DIR")
    if not probe_dir:
        return
    descriptor = os.open(
        os.path.join(probe_dir, f"probe-errors-{os.getpid()}.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND
    )
    try:
        os.write(descriptor, f"{line}\n".encode())
    finally:
        os.close(descriptor)


def record_execute(node_id: str, version: str) -> None:
    """Called by the ``chaos_node`` service at the start of every ``execute``."""
    _record("chaos_execute", node_id, version)


def _record_finished(sender, node_id, to_state, version=None, **kwargs) -> None:
    if to_state == "FINISHED":
        _record("chaos_finished", node_id, version)


def _publish_everything_twice() -> None:
    from kombu.messaging import Producer

    original = Producer.publish
    if getattr(original, "chaos_duplicate", False):
        return

    def publish_twice(self, body, *args, **kwargs):
        result = original(self, body, *args, **kwargs)
        if str((kwargs.get("headers") or {}).get("task", "")).startswith(_RUNTIME_TASK_PREFIX):
            original(self, body, *args, **kwargs)
        return result

    publish_twice.chaos_duplicate = True  # type: ignore[attr-defined]
    Producer.publish = publish_twice


def _install() -> None:
    from chaos_probe.components.collections import chaos  # noqa: F401 - registers chaos_node
    from pipeline.eri.signals import post_set_state

    post_set_state.connect(_record_finished, dispatch_uid="chaos_probe.finished")
    if os.environ.get("CHAOS_FAULT") == "duplicate":
        _publish_everything_twice()


_install()
