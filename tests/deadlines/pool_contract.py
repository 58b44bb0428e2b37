"""The rules every deadline pool follows (pipeline/contrib/deadlines/pool.py), as checks on an empty pool.

``tests/deadlines/test_pools.py`` runs them on the in-memory and database pools (SQLite),
``tests/integration/test_deadline_pools.py`` on Redis and MariaDB.
"""

import threading
from typing import Callable, List

from django.db import connections

from pipeline.contrib.deadlines.pool import DeadlinePool


def _members(claims) -> List[str]:
    return [claim.member for claim in claims]


def claim_hands_out_due_members_oldest_first(pool: DeadlinePool) -> None:
    pool.arm("n1", [("late", 20.0), ("soon", 10.0)])
    pool.arm("n2", [("sooner", 5.0)])
    first = pool.claim(now=15.0, limit=10, lease=5)
    assert _members(first) == ["sooner", "soon"]
    pool.release(first)
    assert [(c.member, c.due) for c in pool.claim(now=25.0, limit=1, lease=5)] == [("late", 20.0)]


def arming_an_armed_member_keeps_its_due_time(pool: DeadlinePool) -> None:
    pool.arm("n1", [("m", 10.0)])
    pool.arm("n1", [("m", 50.0)])
    assert [(c.member, c.due) for c in pool.claim(now=15.0, limit=10, lease=5)] == [("m", 10.0)]


def a_claim_is_held_until_its_lease_ends(pool: DeadlinePool) -> None:
    pool.arm("n1", [("m", 10.0)])
    assert _members(pool.claim(now=15.0, limit=10, lease=5)) == ["m"]
    assert pool.claim(now=19.0, limit=10, lease=5) == []
    retaken = pool.claim(now=21.0, limit=10, lease=5)
    assert [(c.member, c.due) for c in retaken] == [("m", 10.0)]
    pool.release(retaken)
    assert pool.pending() == 0
    assert pool.claim(now=100.0, limit=10, lease=5) == []


def a_member_armed_again_while_claimed_survives_the_release(pool: DeadlinePool) -> None:
    pool.arm("n1", [("cycle", 10.0)])
    claims = pool.claim(now=10.0, limit=10, lease=30)
    pool.arm("n1", [("cycle", 11.0)])  # the next firing of a cycle, armed by the first one's action
    pool.release(claims)
    assert pool.pending() == 1
    assert [(c.member, c.due) for c in pool.claim(now=12.0, limit=10, lease=30)] == [("cycle", 11.0)]


def disarm_forgets_every_member_of_the_nodes(pool: DeadlinePool) -> None:
    pool.arm("n1", [("n1_v1", 10.0), ("n1_v2", 10.0)])
    pool.arm("n2", [("n2_v1", 10.0)])
    pool.arm("n3", [("n3_v1", 10.0)])
    pool.disarm(["n1", "n3"])
    assert _members(pool.claim(now=15.0, limit=10, lease=5)) == ["n2_v1"]


def concurrent_claimers_never_share_a_member(
    pool: DeadlinePool, threads: int = 4, members: int = 120
) -> None:
    for index in range(members):
        pool.arm(f"node{index}", [(f"m{index:03d}", float(index))])
    taken: List[List[str]] = [[] for _ in range(threads)]
    start = threading.Barrier(threads)

    def claimer(slot: int) -> None:
        try:
            start.wait()
            while claims := pool.claim(now=1000.0, limit=7, lease=60):
                taken[slot].extend(_members(claims))
                pool.release(claims)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=claimer, args=(slot,)) for slot in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    every = [member for slot in taken for member in slot]
    assert sorted(every) == [f"m{index:03d}" for index in range(members)]
    assert pool.pending() == 0


CHECKS: List[Callable[[DeadlinePool], None]] = [
    claim_hands_out_due_members_oldest_first,
    arming_an_armed_member_keeps_its_due_time,
    a_claim_is_held_until_its_lease_ends,
    a_member_armed_again_while_claimed_survives_the_release,
    disarm_forgets_every_member_of_the_nodes,
    concurrent_claimers_never_share_a_member,
]
