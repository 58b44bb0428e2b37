"""``PromServerStep``: a Celery worker boot step serving the Prometheus metrics.

Add it with ``app.steps["worker"].add(PromServerStep)``. With the prefork pool each child has its own
registry; set ``PROMETHEUS_MULTIPROC_DIR`` to collect every child through prometheus_client's
multiprocess mode (the directory must exist and be emptied at deploy time).
"""

import os

from celery import bootsteps


class PromServerStep(bootsteps.StartStopStep):
    """Starts ``prometheus_client.start_http_server(port)`` when the worker starts."""

    requires = {"celery.worker.components:Timer"}
    port = 8001

    def start(self, worker):
        from prometheus_client import CollectorRegistry, start_http_server

        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            start_http_server(self.port, registry=registry)
        else:
            start_http_server(self.port)
