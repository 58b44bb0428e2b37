"""``manage.py heal_stuck_pipelines [--dry-run] [--loop --interval N]``: find and resume stuck pipelines."""

import logging
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from pipeline.eri.healing.healer import Healer, PassReport

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Find RUNNING pipelines that make no progress (lost execute/schedule messages) and re-send what "
        "they wait for; --dry-run only reports. See docs/healing.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="report only: write and send nothing")
        parser.add_argument("--loop", action="store_true", help="run a pass every --interval seconds")
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between passes (--loop)")

    def handle(self, *args, **options):
        if options["interval"] <= 0:
            raise CommandError(
                f"heal_stuck_pipelines: --interval must be positive, got {options['interval']}"
            )
        healer = Healer(dry_run=options["dry_run"])
        if not options["loop"]:
            self._print(healer.run_pass())
            return
        while True:
            # A long-lived loop must not keep a connection the database has closed meanwhile.
            close_old_connections()
            try:
                self._print(healer.run_pass())
            except Exception as err:  # e.g. the database is away: try again next time
                logger.exception("heal_stuck_pipelines: pass failed")
                self.stderr.write(f"healing pass failed: {err!r}")
            time.sleep(options["interval"])

    def _print(self, report: PassReport) -> None:
        mode = " (dry run)" if report.dry_run else ""
        self.stdout.write(
            f"healing pass{mode}: {report.watched} processes with an old heartbeat, "
            f"{report.suspected} suspected, {len(report.outcomes)} stuck"
        )
        for outcome in report.outcomes:
            self.stdout.write(
                f"  {outcome.action}: pipeline {outcome.root_pipeline_id} process {outcome.process_id} "
                f"at {outcome.node_id or '-'} ({outcome.reason})"
            )
        if report.breaker_tripped:
            self.stdout.write("  circuit breaker open: the remaining stuck processes were held back")
