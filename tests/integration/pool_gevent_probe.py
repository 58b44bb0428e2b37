"""Run by ``test_db_pool``: two rounds of 50 greenlets, each a query and ``connection.close()``.

A separate process because gevent must patch the standard library before anything else is imported
(patching inside pytest would be too late). Settings come from the environment, as for a worker:
``DJANGO_SETTINGS_MODULE=playground.settings`` and ``BAMBOO_DB`` (optionally ``BAMBOO_DB_POOL=0``).
Prints one JSON line: the server connection ids each round used and the pool counters after each round.
"""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
from typing import Dict, List  # noqa: E402

import django  # noqa: E402
import gevent  # noqa: E402

GREENLETS = 50


def task() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT CONNECTION_ID()")
        (connection_id,) = cursor.fetchone()
    connection.close()
    return connection_id


def one_round() -> List[int]:
    greenlets = [gevent.spawn(task) for _ in range(GREENLETS)]
    gevent.joinall(greenlets, raise_error=True)
    return [greenlet.value for greenlet in greenlets]


def main() -> None:
    django.setup()
    from pipeline.db.mysql import pool

    rounds: List[List[int]] = []
    counts: List[Dict[str, int]] = []
    for _ in range(2):
        rounds.append(one_round())
        counts.append(pool.counts())
    print(json.dumps({"rounds": rounds, "counts": counts}))


if __name__ == "__main__":
    main()
