"""Celery gevent worker processes of one run: start, wait until ready, stop by PID, collect counters."""

import json
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List

from benchmark.implementations import BENCH_DIR, Implementation
from benchmark.services import WORKER_QUEUES

READY_TIMEOUT = 120.0
STOP_TIMEOUT = 60.0


@dataclass
class WorkerPool:
    """``count`` processes of ``celery -A APP worker -Q er_execute,er_schedule -P gevent -c CONCURRENCY``."""

    implementation: Implementation
    count: int
    concurrency: int
    run_dir: Path
    processes: List[subprocess.Popen] = field(default_factory=list)

    def stats_path(self, index: int) -> Path:
        return self.run_dir / f"{self.implementation.label}-worker-{index}.json"

    def log_path(self, index: int) -> Path:
        return self.run_dir / f"{self.implementation.label}-worker-{index}.log"

    def command(self, index: int) -> List[str]:
        return [
            str(self.implementation.python),
            str(BENCH_DIR / "worker_entry.py"),
            "-A",
            self.implementation.celery_app,
            "worker",
            "-Q",
            ",".join(WORKER_QUEUES),
            "-P",
            "gevent",
            "-c",
            str(self.concurrency),
            "-n",
            f"bench{index}-{self.implementation.label}@%h",
            "-l",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]

    def start(self) -> None:
        for index in range(1, self.count + 1):
            self.stats_path(index).unlink(missing_ok=True)
            env = self.implementation.env()
            env["BAMBOO_BENCH_STATS"] = str(self.stats_path(index))
            with open(self.log_path(index), "w") as log:
                self.processes.append(
                    subprocess.Popen(
                        self.command(index),
                        cwd=self.implementation.project_dir,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while not all(self.stats_path(index).exists() for index in range(1, self.count + 1)):
            for index, process in enumerate(self.processes, start=1):
                if process.poll() is not None:
                    raise RuntimeError(
                        f"worker {index} exited ({process.returncode}); see {self.log_path(index)}"
                    )
            if time.monotonic() > deadline:
                raise TimeoutError(f"workers not ready after {READY_TIMEOUT:.0f}s; see {self.run_dir}")
            time.sleep(0.2)

    def error_count(self) -> int:
        """Tracebacks the workers logged (a run with errors is not a valid measurement)."""
        return sum(
            self.log_path(index).read_text(errors="replace").count("Traceback")
            for index in range(1, self.count + 1)
            if self.log_path(index).exists()
        )

    def stop(self) -> List[Dict[str, int]]:
        """Warm shutdown (SIGTERM) of the processes we started; their final counters."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        stats = []
        for index in range(1, len(self.processes) + 1):
            path = self.stats_path(index)
            stats.append(json.loads(path.read_text()) if path.exists() else {})
        self.processes = []
        return stats


def combine(stats: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Totals over the workers (messages published/consumed, summed peak RSS in MB) and, per worker in
    start order, the resident set when ready and its peak (MB), so that growth under load shows."""
    return {
        "published": sum(item.get("published", 0) for item in stats),
        "consumed": sum(item.get("consumed", 0) for item in stats),
        "peak_rss_mb": sum(item.get("peak_rss_kb", 0) for item in stats) / 1024.0,
        "peak_rss_mb_per_worker": [item.get("peak_rss_kb", 0) / 1024.0 for item in stats],
        "ready_rss_mb_per_worker": [item.get("ready_rss_kb", 0) / 1024.0 for item in stats],
        "statements": sum(item.get("statements", 0) for item in stats),
        "commits": sum(item.get("commits", 0) for item in stats),
        "commit_statements": sum(item.get("commit_statements", 0) for item in stats),
        "connects": sum(item.get("connects", 0) for item in stats),
        "cpu_s": sum(item.get("cpu_s", 0.0) for item in stats),
        "complete": all("peak_rss_kb" in item for item in stats),
    }
