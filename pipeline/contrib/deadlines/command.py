"""The long-running scanner command shared by ``start_node_timeout_process`` and
``start_node_timer_event_process``: a pass every interval, SIGTERM / SIGINT end it after the current pass."""

import logging
import signal
import threading
from typing import Callable

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from pipeline.contrib.deadlines.scanner import PassReport, Scanner

logger = logging.getLogger(__name__)


class ScannerCommand(BaseCommand):
    """Subclasses set ``scanner`` (a factory), ``default_interval`` (a function) and ``after_pass``."""

    scanner: Callable[[], Scanner]
    default_interval: Callable[[], float]

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=None, help="seconds between two passes")
        parser.add_argument("--once", action="store_true", help="run one pass and exit")

    def after_pass(self, report: PassReport) -> None:
        """Housekeeping after a pass (subclasses)."""

    def handle(self, *args, **options):
        interval = options["interval"] if options["interval"] is not None else float(self.default_interval())
        if interval <= 0:
            raise CommandError(f"--interval must be positive, got {interval}")
        scanner = self.scanner()
        if options["once"]:
            report = scanner.run_pass()
            self.after_pass(report)
            self.stdout.write(f"{scanner.name}: {report.dispatched} deadlines dispatched")
            return
        stop = threading.Event()

        def graceful_exit(signum, frame):
            logger.info("%s: signal %s, stopping after the current pass", scanner.name, signum)
            stop.set()

        signal.signal(signal.SIGTERM, graceful_exit)
        signal.signal(signal.SIGINT, graceful_exit)
        self.stdout.write(f"{scanner.name}: scanning every {interval} s")
        self.stdout.flush()
        # a long-lived loop must not keep a connection the database has closed meanwhile
        scanner.serve(stop, interval, before_pass=close_old_connections, after_pass=self.after_pass)
        self.stdout.write(f"{scanner.name}: stopped")
