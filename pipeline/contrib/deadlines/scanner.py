"""The scanner: claims due deadlines, dispatches them, releases them.

Order matters for "nothing lost": a deadline is released only after ``dispatch`` returned. A scanner
killed between the claim and the release leaves its claims held; once their lease ran out, the next
pass of any scanner claims them again and dispatches them again (the ledger makes the repeat a no-op
if the first dispatch did get through). Several scanners may run at once: a claim is atomic, so each
due deadline goes to one of them.
"""

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence

from pipeline.contrib.deadlines.pool import Claim, DeadlinePool

logger = logging.getLogger(__name__)

#: Deadlines claimed (and dispatched as one record) at a time.
DEFAULT_BATCH_SIZE = 500
#: Seconds a claim is held. A scanner that died holding claims delays them by at most this much.
DEFAULT_LEASE = 15.0


@dataclass
class PassReport:
    """What one pass did."""

    dispatched: int = 0
    batches: int = 0
    seconds: float = 0.0
    dues: List[float] = field(default_factory=list)


class Scanner:
    """Moves due deadlines from a pool to a dispatch function.

    Args:
        pool: where the deadlines wait.
        dispatch: sends one batch of claims on (e.g. records them and sends the Celery task). If it
            raises, the batch stays claimed and is dispatched again once the lease ran out.
        batch_size: claims per batch.
        lease: seconds a claim is held.
        clock: epoch seconds (tests pass a manual clock).
        name: used in log lines.
    """

    def __init__(
        self,
        pool: DeadlinePool,
        dispatch: Callable[[Sequence[Claim]], None],
        batch_size: int = DEFAULT_BATCH_SIZE,
        lease: float = DEFAULT_LEASE,
        clock: Callable[[], float] = time.time,
        name: str = "deadline scanner",
    ) -> None:
        if batch_size < 1 or lease <= 0:
            raise ValueError(f"{name}: batch_size must be >= 1 and lease > 0, got {batch_size}, {lease}")
        self.pool = pool
        self.dispatch = dispatch
        self.batch_size = batch_size
        self.lease = lease
        self.clock = clock
        self.name = name

    def run_pass(self) -> PassReport:
        """Dispatch everything due now, batch by batch."""
        report = PassReport()
        started = time.perf_counter()
        while True:
            claims = self.pool.claim(self.clock(), self.batch_size, self.lease)
            if not claims:
                break
            self.dispatch(claims)
            self.pool.release(claims)
            report.dispatched += len(claims)
            report.batches += 1
            report.dues.extend(claim.due for claim in claims)
            if len(claims) < self.batch_size:
                break
        report.seconds = time.perf_counter() - started
        return report

    def serve(
        self,
        stop: threading.Event,
        interval: float,
        before_pass: Optional[Callable[[], None]] = None,
        after_pass: Optional[Callable[[PassReport], None]] = None,
    ) -> None:
        """Run a pass every ``interval`` seconds until ``stop`` is set (the current pass completes).

        A pass that fails (the database or Redis is away) is logged and tried again next time: its
        claims, if any, are held until their lease ends.
        """
        while not stop.is_set():
            started = time.monotonic()
            try:
                if before_pass is not None:
                    before_pass()
                report = self.run_pass()
                if after_pass is not None:
                    after_pass(report)
            except Exception:
                logger.exception("%s: pass failed", self.name)
            stop.wait(max(0.0, interval - (time.monotonic() - started)))
