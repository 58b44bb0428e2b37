"""Does psycopg 3 let other greenlets run while it waits for PostgreSQL?

Runs ``--greenlets`` concurrent ``SELECT pg_sleep(--sleep)`` queries under a monkey-patched gevent hub and
prints the wall time of each batch, for each way a gevent worker can end up talking to PostgreSQL:

* ``psycopg``: psycopg 3 imported after ``monkey.patch_all()`` (what ``celery worker -P gevent`` does),
  one connection per greenlet. psycopg then waits for the server through the patched ``select``;
* ``psycopg wait_c``: the same with psycopg's C wait function forced (``PSYCOPG_WAIT_FUNC=wait_c``), as
  when psycopg is imported before gevent patches the process: it waits in C, outside the hub;
* ``django pool``: Django's PostgreSQL backend with ``OPTIONS["pool"]`` (psycopg_pool), each greenlet
  taking a connection from the pool through ``django.db.connection`` and giving it back when done,
  as a task does under Celery's Django fix-up (pool of ``--greenlets`` connections, opened beforehand);
* ``psycopg2``: when installed.

A cooperative variant finishes in about one ``--sleep``; a blocking one holds the hub for every query,
so its batch takes about ``--greenlets × --sleep``. Each variant runs in a child process of its own (the
wait function is chosen when psycopg is imported).

Usage: ``python -m benchmark.gevent_pg_driver [--url postgres://postgres@127.0.0.1:5432/postgres]
[--greenlets 20] [--sleep 0.1]``. The figures are quoted in docs/settings.md.
"""

import argparse
import json
import os
import subprocess
import sys
from typing import Any, Dict, List, Optional
from urllib.parse import unquote, urlparse

VARIANTS = {
    "psycopg": ("psycopg", {}),
    "psycopg wait_c": ("psycopg", {"PSYCOPG_WAIT_FUNC": "wait_c"}),
    "django pool": ("django", {}),
    "psycopg2": ("psycopg2", {}),
}


def connection_options(url: str) -> Dict[str, Any]:
    """``postgres://user:pass@host:port/name`` as libpq keyword arguments."""
    parsed = urlparse(url)
    return {
        "host": parsed.hostname or "127.0.0.1",
        "port": parsed.port or 5432,
        "user": unquote(parsed.username or "postgres"),
        "password": unquote(parsed.password or ""),
        "dbname": parsed.path.lstrip("/") or "postgres",
    }


def _child(kind: str, url: str, greenlets: int, sleep: float) -> Optional[float]:
    """Runs in the child process: patch, import the driver, time one batch; None when not installed."""
    from gevent import monkey

    monkey.patch_all()
    import time

    import gevent

    options = connection_options(url)
    if kind == "django":
        query = _django_query(options, greenlets)
    else:
        try:
            driver = __import__(kind)
        except ImportError:
            return None
        connections = [driver.connect(**options) for _ in range(greenlets)]
        free = list(connections)

        def query(sleep: float) -> None:
            connection = free.pop()
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(%s)", (sleep,))
                cursor.fetchall()
            free.append(connection)

    query(0)  # warm up (the pool opens its connections)
    started = time.perf_counter()
    gevent.joinall([gevent.spawn(query, sleep) for _ in range(greenlets)], raise_error=True)
    return time.perf_counter() - started


def _django_query(options: Dict[str, Any], greenlets: int) -> Any:
    import django
    from django.conf import settings

    settings.configure(
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": options["dbname"],
                "USER": options["user"],
                "PASSWORD": options["password"],
                "HOST": options["host"],
                "PORT": str(options["port"]),
                "OPTIONS": {"pool": {"min_size": greenlets, "max_size": greenlets}},
            }
        },
        USE_TZ=True,
    )
    django.setup()
    from django.db import connection

    def query(sleep: float) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(%s)", (sleep,))
                cursor.fetchall()
        finally:
            connection.close()  # back to the pool

    return query


def measure(url: str, greenlets: int, sleep: float) -> List[Dict[str, Any]]:
    """One row per variant: name, wall seconds (None when its driver is not installed), ideal, serial."""
    rows = []
    for name, (kind, env) in VARIANTS.items():
        code = (
            "import json, sys; from benchmark.gevent_pg_driver import _child; "
            f"print(json.dumps(_child({kind!r}, {url!r}, {greenlets}, {sleep})))"
        )
        completed = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        wall = json.loads(completed.stdout.strip().splitlines()[-1])
        rows.append({"driver": name, "wall": wall, "cooperative": sleep, "serial": greenlets * sleep})
    return rows


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--greenlets", type=int, default=20)
    parser.add_argument("--sleep", type=float, default=0.1)
    args = parser.parse_args(argv)
    print(f"{args.greenlets} greenlets x SELECT pg_sleep({args.sleep}) under gevent")
    for row in measure(args.url, args.greenlets, args.sleep):
        if row["wall"] is None:
            print(f"  {row['driver']:15s} not installed")
            continue
        verdict = "cooperative" if row["wall"] < row["serial"] / 2 else "BLOCKS the event loop"
        print(
            f"  {row['driver']:15s} {row['wall']:.2f}s (cooperative ≈ {row['cooperative']:.2f}s, "
            f"serial = {row['serial']:.2f}s): {verdict}"
        )


if __name__ == "__main__":
    main()
