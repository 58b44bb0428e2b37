"""Clocks for the in-memory runtime.

Every timestamp the runtime writes (state times, histories, heartbeats) and every delayed dispatch is
read from one clock, so a test can make time pass without sleeping.
"""

import datetime
import threading
from typing import Optional

UTC = datetime.UTC


class ManualClock:
    """A clock that only moves when told to (the default of the sync executor).

    Args:
        start: the initial time (timezone-aware); defaults to the current UTC time.
    """

    def __init__(self, start: Optional[datetime.datetime] = None) -> None:
        self._now = start or datetime.datetime.now(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime.datetime:
        """Return the current (manual) time."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime.datetime:
        """Move time forward by ``seconds`` and return the new time."""
        if seconds < 0:
            raise ValueError(f"can not move a clock backwards ({seconds} seconds)")
        with self._lock:
            self._now += datetime.timedelta(seconds=seconds)
            return self._now


class RealClock:
    """Wall-clock time plus an offset that :meth:`advance` can push forward.

    The offset lets ``run_until_idle(auto_advance=True)`` skip a long POLL interval in threads mode
    exactly like it does with :class:`ManualClock`.
    """

    def __init__(self) -> None:
        self._offset = datetime.timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime.datetime:
        """Return the wall-clock time plus the accumulated offset."""
        with self._lock:
            return datetime.datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> datetime.datetime:
        """Jump ``seconds`` ahead of the wall clock and return the new time."""
        if seconds < 0:
            raise ValueError(f"can not move a clock backwards ({seconds} seconds)")
        with self._lock:
            self._offset += datetime.timedelta(seconds=seconds)
        return self.now()
