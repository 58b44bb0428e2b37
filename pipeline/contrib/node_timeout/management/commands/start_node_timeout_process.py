"""``manage.py start_node_timeout_process [--interval S] [--once]``: the node timeout scanner.

Runs until SIGTERM/SIGINT (the current pass completes first). Several may run at once. The beat task
``pipeline.contrib.node_timeout.tasks.scan_node_timeout_pool`` is the alternative (docs/node-timeout.md).
"""

from pipeline.contrib.deadlines.command import ScannerCommand
from pipeline.contrib.deadlines.scanner import PassReport
from pipeline.contrib.node_timeout.scanning import purge_hourly, timeout_scanner
from pipeline.contrib.node_timeout.settings import node_timeout_settings


class Command(ScannerCommand):
    help = "Dispatch the node timeouts that fell due, every --interval seconds (default 1), until SIGTERM."

    def scanner(self):
        return timeout_scanner()

    def default_interval(self) -> float:
        return float(node_timeout_settings.pool_scan_interval)

    def after_pass(self, report: PassReport) -> None:
        purge_hourly()
