"""Running a function from several threads at once (each thread gets its own DB connection)."""

import threading
from typing import Any, Callable, List

from django.db import connections


def run_concurrently(func: Callable[[int], Any], count: int, timeout: float = 60.0) -> List[Any]:
    """Call ``func(index)`` from ``count`` threads released together; returns results (or exceptions)."""
    barrier = threading.Barrier(count)
    results: List[Any] = [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout)
            results[index] = func(index)
        except Exception as err:  # reported to the caller, which asserts on it
            results[index] = err
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a worker thread did not finish in time"
    return results
