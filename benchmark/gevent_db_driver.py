"""Does a MySQL driver let other greenlets run while it waits for the server?

Runs ``--greenlets`` concurrent ``SELECT SLEEP(--sleep)`` queries, one connection per greenlet, under a
monkey-patched gevent hub, once per installed driver, and prints the wall time of each batch:

* a cooperative driver (pure Python on patched sockets) finishes in about one ``--sleep``;
* a blocking driver (a C extension doing its own socket I/O) holds the hub for every query, so the
  batch takes about ``--greenlets × --sleep``.

Usage: ``python -m benchmark.gevent_db_driver [--url mysql://root@127.0.0.1:3306/] [--greenlets 10]``.
The figures are quoted in docs/workers.md.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402 - gevent must patch the standard library before anything imports it
import importlib  # noqa: E402
import time  # noqa: E402
from typing import Any, Dict, List, Optional  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

import gevent  # noqa: E402

DRIVERS = ("pymysql", "MySQLdb")


def connection_options(url: str) -> Dict[str, Any]:
    """``mysql://user:pass@host:port/`` as keyword arguments both drivers accept."""
    parsed = urlparse(url)
    return {
        "host": parsed.hostname or "127.0.0.1",
        "port": parsed.port or 3306,
        "user": parsed.username or "root",
        "password": parsed.password or "",
    }


def load_driver(name: str) -> Optional[Any]:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def run_batch(driver: Any, options: Dict[str, Any], greenlets: int, sleep: float) -> float:
    """Wall time of ``greenlets`` concurrent ``SELECT SLEEP(sleep)`` (connections opened beforehand)."""
    connections = [driver.connect(**options) for _ in range(greenlets)]

    def query(connection: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("SELECT SLEEP(%s)", (sleep,))
        cursor.fetchall()
        cursor.close()

    try:
        started = time.perf_counter()
        gevent.joinall([gevent.spawn(query, connection) for connection in connections], raise_error=True)
        return time.perf_counter() - started
    finally:
        for connection in connections:
            connection.close()


def measure(url: str, greenlets: int, sleep: float) -> List[Dict[str, Any]]:
    """One result row per driver: name, wall seconds (None when not installed), ideal and serial time."""
    options = connection_options(url)
    rows = []
    for name in DRIVERS:
        driver = load_driver(name)
        wall = run_batch(driver, options, greenlets, sleep) if driver is not None else None
        rows.append({"driver": name, "wall": wall, "cooperative": sleep, "serial": greenlets * sleep})
    return rows


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="mysql://root@127.0.0.1:3306/")
    parser.add_argument("--greenlets", type=int, default=10)
    parser.add_argument("--sleep", type=float, default=0.2)
    args = parser.parse_args(argv)
    print(f"{args.greenlets} greenlets x SELECT SLEEP({args.sleep}) under gevent")
    for row in measure(args.url, args.greenlets, args.sleep):
        if row["wall"] is None:
            print(f"  {row['driver']:8s} not installed")
            continue
        verdict = "cooperative" if row["wall"] < row["serial"] / 2 else "BLOCKS the event loop"
        print(
            f"  {row['driver']:8s} {row['wall']:.2f}s (cooperative ≈ {row['cooperative']:.2f}s, "
            f"serial = {row['serial']:.2f}s): {verdict}"
        )


if __name__ == "__main__":
    main()
