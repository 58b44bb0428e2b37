"""``celery`` command line with benchmark counters, run inside the virtualenv under test.

Usage: ``<venv>/bin/python benchmark/worker_entry.py -A APP worker -Q ... -P gevent -c N`` with
``BAMBOO_BENCH_STATS=<file>``. It behaves exactly like the ``celery`` command, and additionally counts, in
this process: the SQL statements sent to MariaDB (``sql_counter``), the task messages published (Celery's
``after_task_publish``: what the engine dispatches) and consumed (``task_prerun``). It writes
``{"ready": true}`` to the stats file when the worker is ready to consume, and the counters plus the
process's resident set size when ready (``VmRSS``), its peak (``VmHWM``) and CPU time when it shuts down
(SIGTERM): the difference is what the run made the worker hold.
"""

import sys

from celery import maybe_patch_concurrency

# Exactly what ``python -m celery`` does first: gevent must patch the standard library before the
# worker (and Django, kombu, PyMySQL) import it.
maybe_patch_concurrency()

import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
from pathlib import Path  # noqa: E402

import sql_counter  # noqa: E402 - benchmark/sql_counter.py (this script's directory is on sys.path)
from celery import signals  # noqa: E402

COUNTS = {"published": 0, "consumed": 0}
CPU_AT_READY = [0.0]
STATEMENTS_AT_READY = [0]
COMMITS_AT_READY = [0]
COMMIT_STATEMENTS_AT_READY = [0]
RSS_AT_READY_KB = [0]
CONNECTS_AT_READY = [0]


def status_kb(field: str) -> int:
    """A size of ``/proc/self/status`` in kB: ``VmHWM`` (peak resident set) or ``VmRSS`` (current)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def peak_rss_kb() -> int:
    """Peak resident set size of this process, in kB."""
    return status_kb("VmHWM")


def cpu_seconds() -> float:
    """User + system CPU time of this process (robust against other load on a shared machine)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def db_pool_counts() -> dict:
    """Our MySQL backend's connection pool counters (empty for upstream, which has no pool)."""
    try:
        from pipeline.db.mysql import pool
    except ImportError:
        return {}
    return pool.counts()


def write_stats(**fields) -> None:
    path = os.environ.get("BAMBOO_BENCH_STATS")
    if not path:
        return
    temporary = f"{path}.tmp"
    Path(temporary).write_text(json.dumps(fields))
    os.replace(temporary, path)


@signals.after_task_publish.connect(weak=False)
def _published(**_kwargs) -> None:
    COUNTS["published"] += 1


@signals.task_prerun.connect(weak=False)
def _consumed(**_kwargs) -> None:
    COUNTS["consumed"] += 1


@signals.worker_ready.connect(weak=False)
def _ready(**_kwargs) -> None:
    CPU_AT_READY[0] = cpu_seconds()
    STATEMENTS_AT_READY[0] = sql_counter.statements()
    COMMITS_AT_READY[0] = sql_counter.commits()
    COMMIT_STATEMENTS_AT_READY[0] = sql_counter.commit_statements()
    RSS_AT_READY_KB[0] = status_kb("VmRSS")
    CONNECTS_AT_READY[0] = sql_counter.connects()
    write_stats(ready=True, pid=os.getpid())


@signals.worker_shutdown.connect(weak=False)
def _shutdown(**_kwargs) -> None:
    write_stats(
        ready=True,
        stopped=True,
        pid=os.getpid(),
        peak_rss_kb=peak_rss_kb(),
        ready_rss_kb=RSS_AT_READY_KB[0],
        cpu_s=cpu_seconds() - CPU_AT_READY[0],
        statements=sql_counter.statements() - STATEMENTS_AT_READY[0],
        commits=sql_counter.commits() - COMMITS_AT_READY[0],
        commit_statements=sql_counter.commit_statements() - COMMIT_STATEMENTS_AT_READY[0],
        connects=sql_counter.connects() - CONNECTS_AT_READY[0],
        db_pool=db_pool_counts(),
        **COUNTS,
    )


if __name__ == "__main__":
    sql_counter.install()
    from celery.bin.celery import main

    sys.argv[0] = "celery"
    sys.exit(main())
