"""Counting the SQL queries the runtime issues (``django.test.utils.CaptureQueriesContext``)."""

import re
from collections import Counter
from contextlib import contextmanager
from typing import Iterator, List

from django.db import connection
from django.test.utils import CaptureQueriesContext


class QueryLog:
    """The queries captured by :func:`capture_queries`."""

    def __init__(self, context: CaptureQueriesContext):
        self._context = context

    @property
    def sql(self) -> List[str]:
        return [query["sql"] for query in self._context.captured_queries]

    def __len__(self) -> int:
        return len(self._context.captured_queries)

    def summary(self) -> Counter:
        """Queries grouped by statement kind and table, e.g. ``UPDATE eri_process``."""
        kinds: Counter = Counter()
        for sql in self.sql:
            match = re.match(
                r'\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|SAVEPOINT|RELEASE)\W.*?(?:"(\w+)")?', sql
            )
            table = re.search(r'(?:FROM|INTO|UPDATE)\s+"(\w+)"', sql)
            kinds[f"{match.group(1) if match else sql[:20]} {table.group(1) if table else ''}".strip()] += 1
        return kinds


@contextmanager
def capture_queries() -> Iterator[QueryLog]:
    """Capture every query of the default connection inside the block."""
    with CaptureQueriesContext(connection) as context:
        yield QueryLog(context)


def print_query_report(title: str, log: QueryLog, nodes: int) -> None:
    """Print the total, the per-node average and the per-statement breakdown (never asserts timing)."""
    print(f"\n{title}: {len(log)} queries for {nodes} nodes = {len(log) / max(nodes, 1):.1f} per node")
    for kind, count in sorted(log.summary().items(), key=lambda item: -item[1]):
        print(f"  {count:5d}  {kind}")
