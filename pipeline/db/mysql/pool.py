"""A process-wide pool of idle DB-API connections, shared by every thread and greenlet of a process.

Gevent workers run each Celery task in a fresh greenlet, and Django keeps one connection per greenlet:
with ``CONN_MAX_AGE = 0`` every task opened (and Celery's Django fix-up closed) its own connection. With
PyMySQL that is a TCP and auth handshake, an SSL context built from the system's CA bundle (PyMySQL 1.2
prefers TLS even when the server has none), and Django's session ``SET`` statements: measured at about
two thirds of a worker's CPU in the 17x100 benchmark. The pool keeps those connections instead: a
"closed" connection goes back to the pool and the next task takes it, already set up.

The pool only stores and hands out connections; deciding whether a connection is clean enough to reuse
is the database wrapper's job (:mod:`.base`).
"""

import os
import time
from collections import Counter, deque
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Callable, Deque, Dict, Hashable, Optional, Tuple

DEFAULT_MAX_IDLE = 100
DEFAULT_MAX_LIFETIME = 300.0
DEFAULT_PING_AFTER = 30.0


@dataclass(frozen=True)
class PoolOptions:
    """``OPTIONS["pool"]`` of a ``DATABASES`` entry.

    Attributes:
        max_idle: idle connections kept per database; more are closed when returned.
        max_lifetime: seconds after which a connection is closed instead of reused, so that server-side
            changes (failover, new settings) reach every worker eventually.
        ping_after: a connection idle for longer is pinged before reuse; the server may have dropped it
            (``wait_timeout``, restart) and a dead connection would fail the task that took it.
    """

    max_idle: int = DEFAULT_MAX_IDLE
    max_lifetime: float = DEFAULT_MAX_LIFETIME
    ping_after: float = DEFAULT_PING_AFTER

    @classmethod
    def from_setting(cls, value: Any) -> "PoolOptions":
        """``True``/absent → defaults; a dict overrides some; ``False`` → ``max_idle = 0`` (no pooling).

        Raises:
            ValueError: an unknown key or a negative number, named in the message.
        """
        if value is None or value is True:
            return cls()
        if value is False:
            return cls(max_idle=0)
        if not isinstance(value, dict):
            raise ValueError(f"OPTIONS['pool'] must be a bool or a dict, got {value!r}")
        unknown = set(value) - {"max_idle", "max_lifetime", "ping_after"}
        if unknown:
            raise ValueError(f"OPTIONS['pool']: unknown keys {sorted(unknown)}")
        options = cls(**value)
        if options.max_idle < 0 or options.max_lifetime < 0 or options.ping_after < 0:
            raise ValueError(f"OPTIONS['pool']: values must not be negative: {value!r}")
        return options


@dataclass
class _Idle:
    connection: Any
    born: float
    returned: float


@dataclass
class ConnectionPool:
    """Idle connections of one database, most recently returned first (the warmest socket wins).

    ``deque.append``/``pop`` are atomic in CPython, so threads and greenlets share it without a lock;
    the size check before an append may race and keep one connection too many, which is harmless.
    """

    options: PoolOptions
    clock: Callable[[], float] = time.monotonic
    _idle: Deque[_Idle] = field(default_factory=deque)
    #: How often each thing happened (``opened``, ``reused``, ``kept``, ``closed_full``, ``closed_old``,
    #: ``closed_dead``, ``not_returned``): what the benchmark prints and what tells a pool that is too small.
    counts: Counter = field(default_factory=Counter)

    def take(self) -> Optional[Any]:
        """An idle connection that is young enough and answers, or None (the caller connects)."""
        while True:
            try:
                idle = self._idle.pop()
            except IndexError:
                return None
            now = self.clock()
            if now - idle.born >= self.options.max_lifetime:
                self._discard(idle.connection, "closed_old")
                continue
            if now - idle.returned >= self.options.ping_after and not _answers(idle.connection):
                self._discard(idle.connection, "closed_dead")
                continue
            _set_born(idle.connection, idle.born)
            self.counts["reused"] += 1
            return idle.connection

    def adopt(self, connection: Any) -> None:
        """Start the lifetime of a connection the caller has just opened."""
        _set_born(connection, self.clock())
        self.counts["opened"] += 1

    def give(self, connection: Any) -> bool:
        """Keep ``connection`` for the next :meth:`take`; close it if the pool is full or it is too old.

        Returns:
            True if the connection was kept.
        """
        now = self.clock()
        born = getattr(connection, _BORN, now)
        if len(self._idle) >= self.options.max_idle:
            self._discard(connection, "closed_full")
            return False
        if now - born >= self.options.max_lifetime:
            self._discard(connection, "closed_old")
            return False
        self._idle.append(_Idle(connection, born, now))
        self.counts["kept"] += 1
        return True

    def forget(self, connection: Any) -> None:
        """The caller closed ``connection`` itself (it was not clean enough to reuse)."""
        self.counts["not_returned"] += 1

    def _discard(self, connection: Any, reason: str) -> None:
        _close_quietly(connection)
        self.counts[reason] += 1

    def clear(self) -> None:
        """Close every idle connection (tests, shutdown)."""
        while self._idle:
            _close_quietly(self._idle.pop().connection)

    def __len__(self) -> int:
        return len(self._idle)


# The connect time travels with the connection object (an attribute, not a table keyed by id(), which
# would outlive connections nobody closed and hand their age to a new object with the same id).
_BORN = "_bamboo_pool_born"


def _set_born(connection: Any, when: float) -> None:
    setattr(connection, _BORN, when)


def _answers(connection: Any) -> bool:
    try:
        connection.ping(False)  # positional: mysqlclient takes no keyword; never reconnect silently
    except Exception:  # noqa: BLE001 - any failure means "do not reuse"
        return False
    return True


def _close_quietly(connection: Any) -> None:
    # The connection is being discarded: a failing QUIT (server already gone) changes nothing.
    with suppress(Exception):
        connection.close()


_POOLS: Dict[Tuple[int, Hashable], ConnectionPool] = {}


def pool_for(key: Hashable, options: PoolOptions) -> ConnectionPool:
    """The pool of this process for ``key`` (created on first use).

    Keyed by PID as well: a forked child must never reuse its parent's sockets.
    """
    full_key = (os.getpid(), key)
    pool = _POOLS.get(full_key)
    if pool is None:
        pool = _POOLS.setdefault(full_key, ConnectionPool(options))
    return pool


def counts() -> Dict[str, int]:
    """The counters of every pool of this process, summed."""
    total: Counter = Counter()
    for pool in list(_POOLS.values()):
        total.update(pool.counts)
    return dict(total)


def close_all() -> None:
    """Close every idle connection of every pool of this process."""
    for pool in list(_POOLS.values()):
        pool.clear()


def _forget_parent_pools() -> None:
    # The child shares the parent's sockets; dropping the references (without COM_QUIT) leaves the
    # parent's connections working.
    _POOLS.clear()


os.register_at_fork(after_in_child=_forget_parent_pools)
