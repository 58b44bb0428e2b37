"""The pool rules (tests/deadlines/pool_contract.py) on the in-memory pool and the database pool (SQLite)."""

import pytest

from pipeline.contrib.deadlines.database import DatabaseDeadlinePool
from pipeline.contrib.deadlines.pool import MemoryDeadlinePool, due_time
from pipeline.contrib.node_timer_event.models import TimerEventDeadline
from tests.deadlines.pool_contract import CHECKS


@pytest.fixture(
    params=[
        pytest.param("memory", id="memory"),
        pytest.param("database", id="database", marks=pytest.mark.django_db(transaction=True)),
    ]
)
def pool(request):
    return MemoryDeadlinePool() if request.param == "memory" else DatabaseDeadlinePool(TimerEventDeadline)


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_pool_rule(pool, check):
    check(pool)


def test_due_times_are_kept_to_the_millisecond_rounded_down():
    assert due_time(1796598817.0121653) == 1796598817.012
    assert due_time(10.0) == 10.0
