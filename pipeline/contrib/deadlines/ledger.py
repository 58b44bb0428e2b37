"""At most one action per firing: the :class:`FiringLedger` interface and its in-memory implementation.

A firing is a member and the due time it fell due at. Dispatch is at-least-once (a scanner that dies
after dispatching but before releasing dispatches again once its lease ran out; a worker that dies
mid-task gets the message again), so the action side remembers what it did: :meth:`FiringLedger.firing`
records the firing and runs the action *in one unit* — the database ledger in one transaction, so a
worker killed mid-action leaves no record and the redelivered message acts — and a second attempt at the
same firing finds the record and does nothing.
"""

import abc
import contextlib
import hashlib
import threading
from typing import Dict, Iterator, Optional


def firing_key(member: str, due: Optional[float]) -> str:
    """The identity of one firing (due times compared to the millisecond)."""
    when = "manual" if due is None else f"{float(due):.3f}"
    return hashlib.sha1(f"{member}@{when}".encode()).hexdigest()


class FiringLedger(abc.ABC):
    """Records the firings whose action ran."""

    @abc.abstractmethod
    def firing(self, member: str, due: Optional[float]) -> contextlib.AbstractContextManager:
        """A context manager yielding True for the first attempt at this firing, False for a repeat.

        The record and what the ``with`` block does are one unit: if the block raises, the record is
        undone too (and the exception propagates).
        """

    @abc.abstractmethod
    def count(self, member: str) -> int:
        """How many firings of ``member`` are recorded (a timer cycle's repetitions so far)."""


class MemoryFiringLedger(FiringLedger):
    """A ledger in a dict (unit tests)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._fired: Dict[str, str] = {}

    @contextlib.contextmanager
    def firing(self, member: str, due: Optional[float]) -> Iterator[bool]:
        key = firing_key(member, due)
        # held for the whole action, as the database ledger's row lock makes a concurrent repeat wait
        with self._lock:
            if key in self._fired:
                yield False
                return
            self._fired[key] = member
            try:
                yield True
            except BaseException:
                del self._fired[key]
                raise

    def count(self, member: str) -> int:
        with self._lock:
            return sum(1 for fired in self._fired.values() if fired == member)

    def __len__(self) -> int:
        with self._lock:
            return len(self._fired)
