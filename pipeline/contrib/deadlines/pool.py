"""Where armed deadlines wait: the :class:`DeadlinePool` interface and its in-memory implementation.

The rules every pool follows (the contract the pool tests check on each backend):

* ``arm`` adds a member with its due time unless the member is already armed and not claimed: a
  deadline is never pushed back by a repeated RUNNING signal. A claimed member (being fired) is armed
  anew, which is how a timer cycle arms its next firing.
* ``disarm`` forgets every armed member of the given nodes, whatever run of the node armed it.
* ``claim`` hands out due members (oldest first) that no one holds, or whose holder's lease ran out,
  and holds them for ``lease`` seconds; two scanners never hold the same member at once.
* ``release`` drops the members a scanner dispatched. A member armed anew since the claim stays armed.
"""

import abc
import math
import threading
import uuid
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Set, Tuple

#: A member and its due time (epoch seconds).
Deadline = Tuple[str, float]


def due_time(due: float) -> float:
    """A due time as pools store it: whole milliseconds, rounded down.

    Every store then holds it exactly (a database column may keep fewer digits than a Python float),
    and a deadline is never found "not yet due" by a fraction of a microsecond.
    """
    return math.floor(float(due) * 1000) / 1000


@dataclass(frozen=True)
class Claim:
    """A due member held by one scanner until it released it or the lease ran out.

    Attributes:
        member: what the deadline is for (the app parses it).
        due: when it fell due (epoch seconds); with the member it identifies one firing.
        receipt: the pool's proof of the claim, handed back to :meth:`DeadlinePool.release`.
    """

    member: str
    due: float
    receipt: str


class DeadlinePool(abc.ABC):
    """Armed deadlines of running nodes (see the module docstring for the rules)."""

    @abc.abstractmethod
    def arm(self, node_id: str, deadlines: Sequence[Deadline]) -> None:
        """Arm ``deadlines`` (``(member, due)``) for ``node_id``."""

    @abc.abstractmethod
    def disarm(self, node_ids: Sequence[str]) -> None:
        """Forget every armed member of ``node_ids``."""

    @abc.abstractmethod
    def claim(self, now: float, limit: int, lease: float) -> List[Claim]:
        """Hold up to ``limit`` members due at ``now`` for ``lease`` seconds."""

    @abc.abstractmethod
    def release(self, claims: Sequence[Claim]) -> None:
        """Drop claimed members after their dispatch."""

    @abc.abstractmethod
    def pending(self) -> int:
        """How many members are armed or claimed (for operators and benchmarks)."""

    @abc.abstractmethod
    def clear(self) -> None:
        """Forget everything (tests and benchmarks)."""


@dataclass
class _Entry:
    node_id: str
    due: float
    receipt: Optional[str] = None
    held_until: float = 0.0


class MemoryDeadlinePool(DeadlinePool):
    """A pool in a dict: for unit tests with the in-memory runtime, and the reference of the rules."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: Dict[str, _Entry] = {}
        self._by_node: Dict[str, Set[str]] = {}

    def arm(self, node_id: str, deadlines: Sequence[Deadline]) -> None:
        with self._lock:
            for member, due in deadlines:
                entry = self._entries.get(member)
                if entry is not None and entry.receipt is None:
                    continue
                self._entries[member] = _Entry(node_id=node_id, due=due_time(due))
                self._by_node.setdefault(node_id, set()).add(member)

    def disarm(self, node_ids: Sequence[str]) -> None:
        with self._lock:
            for node_id in node_ids:
                for member in self._by_node.pop(node_id, set()):
                    self._entries.pop(member, None)

    def claim(self, now: float, limit: int, lease: float) -> List[Claim]:
        with self._lock:
            due = sorted(
                (entry.due, member)
                for member, entry in self._entries.items()
                if entry.due <= now and (entry.receipt is None or entry.held_until <= now)
            )[:limit]
            claims = []
            for _, member in due:
                entry = self._entries[member]
                entry.receipt, entry.held_until = uuid.uuid4().hex, now + lease
                claims.append(Claim(member=member, due=entry.due, receipt=entry.receipt))
            return claims

    def release(self, claims: Sequence[Claim]) -> None:
        with self._lock:
            for claim in claims:
                entry = self._entries.get(claim.member)
                if entry is not None and entry.receipt == claim.receipt:
                    del self._entries[claim.member]
                    self._by_node.get(entry.node_id, set()).discard(claim.member)

    def pending(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._by_node.clear()

    def armed(self) -> Dict[str, float]:
        """Member → due of every member (tests)."""
        with self._lock:
            return {member: entry.due for member, entry in self._entries.items()}
