"""Imported by the deadline tests' workers (``BAMBOO_CELERY_IMPORTS``): a timer action a project would
register. Each call appends ``<node_id> <version> <x input> <operator root input>`` to
``$BAMBOO_TEST_PROBE_DIR/timer-<pid>.log``, so the test sees every call of every worker process."""

import os
from pathlib import Path

from pipeline.contrib.node_timer_event.handlers import BaseAction

ACTION_NAME = "it_probe"


def probe_lines(probe_dir: Path) -> list:
    """Every recorded call: ``[node_id, version, x, operator]``."""
    return [
        line.split(" ") for path in probe_dir.glob("timer-*.log") for line in path.read_text().splitlines()
    ]


class ProbeAction(BaseAction):
    def do(self, data, parent_data, *args, **kwargs) -> bool:
        x = data.get_one_of_inputs("x", "-")
        operator = parent_data.get_one_of_inputs("operator", "-")
        path = Path(os.environ["BAMBOO_TEST_PROBE_DIR"]) / f"timer-{os.getpid()}.log"
        with open(path, "a") as probe:
            probe.write(f"{self.node_id} {self.version} {x} {operator}\n")
        return True

    class Meta:
        action_name = ACTION_NAME
