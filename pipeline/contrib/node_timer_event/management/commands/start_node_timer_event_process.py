"""``manage.py start_node_timer_event_process [--interval S] [--once]``: the timer event scanner.

Runs until SIGTERM/SIGINT (the current pass completes first). Several may run at once. The beat task
``pipeline.contrib.node_timer_event.tasks.scan_node_timer_event_pool`` is the alternative
(docs/node-timer-event.md).
"""

from pipeline.contrib.deadlines.command import ScannerCommand
from pipeline.contrib.deadlines.scanner import PassReport
from pipeline.contrib.node_timer_event.scanning import purge_hourly, timer_scanner
from pipeline.contrib.node_timer_event.settings import node_timer_event_settings


class Command(ScannerCommand):
    help = (
        "Dispatch the node timer events that fell due, every --interval seconds "
        "(default PIPELINE_NODE_TIMER_EVENT_POOL_SCAN_INTERVAL), until SIGTERM."
    )

    def scanner(self):
        return timer_scanner()

    def default_interval(self) -> float:
        return float(node_timer_event_settings.pool_scan_interval)

    def after_pass(self, report: PassReport) -> None:
        purge_hourly()
