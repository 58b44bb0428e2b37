"""``PromServerStep`` serves, from a real worker, the metrics that worker recorded.

The worker is started with ``BAMBOO_PROMETHEUS_PORT`` (read by ``playground/celery.py``, which then adds
the step) on a free loopback port; after a pipeline ran through it, ``/metrics`` must carry the
engine's samples for that run.
"""

import socket
import urllib.request
from typing import Dict, List

import pytest

from tests.integration.env import Worker, wait_until
from tests.integration.helpers import PROBE_IMPORTS, start, wait_finished
from tests.trees import linear_pipeline

pytestmark = pytest.mark.integration

QUEUE = "prom"
ACTIVITIES = 3


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _scrape(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            return response.read().decode()
    except OSError:
        return ""


def _samples(text: str) -> Dict[str, List[tuple]]:
    """``sample name -> [(labels, value), ...]`` of a Prometheus text exposition."""
    from prometheus_client.parser import text_string_to_metric_families

    samples: Dict[str, List[tuple]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


@pytest.fixture(scope="module")
def metrics_port(it_session):
    """The port of a gevent worker on ``prom`` started with ``BAMBOO_PROMETHEUS_PORT``."""
    port = _free_port()
    env = {**PROBE_IMPORTS, "BAMBOO_PROMETHEUS_PORT": str(port)}
    queues = [f"er_execute_{QUEUE}", f"er_schedule_{QUEUE}"]
    worker = Worker(it_session, "prom", "gevent", 10, queues, env).start()
    yield port
    worker.stop()


def test_worker_exposes_the_engine_metrics_it_recorded(metrics_port):
    root_id = start(linear_pipeline(ACTIVITIES, component_code="debug_node"), queue=QUEUE)
    wait_finished([root_id])

    def scraped_run() -> Dict[str, List[tuple]]:
        samples = _samples(_scrape(metrics_port))
        counts = samples.get("engine_node_execute_time_count", [])
        ran = sum(value for labels, value in counts if labels.get("type", "").startswith("debug_node"))
        return samples if ran >= ACTIVITIES else {}

    samples = wait_until(scraped_run, 30, f"debug_node samples on port {metrics_port}")
    assert "engine_running_processes" in samples
    assert all(labels.get("hostname") for labels, _ in samples["engine_running_processes"])
    # One execute step at least; debug_node also polled once each (a 0 s POLL, run in the worker).
    assert sum(value for _, value in samples["engine_process_running_time_count"]) >= 1
    schedules = samples.get("engine_node_schedule_time_count", [])
    assert sum(value for labels, value in schedules if labels["type"].startswith("debug_node")) >= ACTIVITIES
