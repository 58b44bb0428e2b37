"""``python -m benchmark.commit_rate``: how many durable commits a second the MariaDB server sustains.

The capacity model (docs/scaling.md) bounds a database primary by its commits per second as well as by
its CPU: with ``innodb_flush_log_at_trx_commit=1`` every committing transaction waits for a redo log
flush, and group commit lets concurrent sessions share one flush. This measures that ceiling on the
benchmark's server, without the engine: ``--sessions`` threads (each its own connection) insert one row
per autocommit statement into a table of their own database for ``--seconds`` seconds; it prints the
commits per second per session count, next to the server's durability settings.

The client is one Python process: at high session counts it may be the limit rather than the server
(its CPU is printed too, next to the server's).
"""

import argparse
import os
import threading
import time
from typing import Dict, List, Optional

from benchmark.services import server_cpu_seconds

INSERT = "INSERT INTO commit_probe (session, payload) VALUES (%s, %s)"
DATABASE = "bamboo_bench_commits" + os.environ.get("BAMBOO_BENCH_SUFFIX", "")


def _connect(database: Optional[str] = None):
    import pymysql

    return pymysql.connect(
        host="127.0.0.1", user="root", password="", database=database, autocommit=True, ssl_disabled=True
    )


def server_settings() -> Dict[str, str]:
    connection = _connect()
    with connection.cursor() as cursor:
        cursor.execute(
            "SHOW GLOBAL VARIABLES WHERE Variable_name IN "
            "('innodb_flush_log_at_trx_commit', 'sync_binlog', 'log_bin', 'innodb_flush_method')"
        )
        settings = dict(cursor.fetchall())
        cursor.execute(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {DATABASE}.commit_probe "
            "(id BIGINT AUTO_INCREMENT PRIMARY KEY, session INT, payload VARCHAR(64)) ENGINE=InnoDB"
        )
        cursor.execute(f"TRUNCATE TABLE {DATABASE}.commit_probe")
    connection.close()
    return settings


def measure(sessions: int, seconds: float) -> Dict[str, float]:
    """Autocommit inserts from ``sessions`` connections for ``seconds``: commits/s and CPU per commit."""
    counts: List[int] = [0] * sessions
    stop = threading.Event()
    connections = [_connect(DATABASE) for _ in range(sessions)]

    def insert(index: int) -> None:
        with connections[index].cursor() as cursor:
            while not stop.is_set():
                cursor.execute(
                    "INSERT INTO commit_probe (session, payload) VALUES (%s, %s)", (index, "x" * 32)
                )
                counts[index] += 1

    threads = [threading.Thread(target=insert, args=(index,)) for index in range(sessions)]
    server_before, client_before, started = server_cpu_seconds(), time.process_time(), time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    server_after, client_cpu = server_cpu_seconds(), time.process_time() - client_before
    for connection in connections:
        connection.close()
    commits = sum(counts)
    server_cpu = server_after["mariadb"] - server_before["mariadb"]
    return {
        "sessions": sessions,
        "commits_per_s": commits / elapsed,
        "server_cpu_ms_per_commit": 1000 * server_cpu / max(commits, 1),
        "client_cpu_ms_per_commit": 1000 * client_cpu / max(commits, 1),
    }


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmark.commit_rate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--sessions", default="1,8,32", help="comma-separated session counts")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each measurement")
    args = parser.parse_args(argv)
    settings = server_settings()
    print(" ".join(f"{name}={value}" for name, value in sorted(settings.items())), flush=True)
    for sessions in (int(value) for value in args.sessions.split(",")):
        result = measure(sessions, args.seconds)
        print(
            f"sessions={sessions} commits_per_s={result['commits_per_s']:.0f} "
            f"server_cpu_ms_per_commit={result['server_cpu_ms_per_commit']:.3f} "
            f"client_cpu_ms_per_commit={result['client_cpu_ms_per_commit']:.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
