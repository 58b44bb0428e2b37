"""The deadline pool rules (tests/deadlines/pool_contract.py) on a real Redis and on the session's database
(MariaDB, or PostgreSQL in ``make integration-postgres``).

Redis: keys under this session's prefix (removed afterwards). Database: the session database's
``TimerEventDeadline`` table, emptied around each check; claims race over real connections.
"""

import uuid

import pytest

from tests.deadlines.pool_contract import CHECKS

pytestmark = pytest.mark.integration


@pytest.fixture(params=["redis", "database"])
def pool(request, it_session):
    from django.conf import settings

    from pipeline.contrib.deadlines.database import DatabaseDeadlinePool
    from pipeline.contrib.deadlines.redis_pool import RedisDeadlinePool
    from pipeline.contrib.node_timer_event.models import TimerEventDeadline

    if request.param == "redis":
        instance = RedisDeadlinePool(
            settings.redis_inst, f"{it_session.name}:contract:{uuid.uuid4().hex[:8]}"
        )
    else:
        instance = DatabaseDeadlinePool(TimerEventDeadline)
    instance.clear()
    yield instance
    instance.clear()


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_pool_rule(pool, check):
    check(pool)
