"""The chaos suite's Celery workers: gevent processes started, SIGKILLed and replaced by PID."""

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

from benchmark.chaos_targets import BENCH_DIR, ChaosTarget

QUEUES = ("er_execute", "er_schedule")
READY_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0


@dataclass
class ChaosWorker:
    """``celery -A APP worker -P gevent -c C -Q er_execute,er_schedule`` (through ``worker_entry.py``).

    ``worker_entry.py`` writes the ready file when Celery's ``worker_ready`` fires; the worker runs in a
    process group of its own so that SIGKILL takes it whole.
    """

    target: ChaosTarget
    index: int
    concurrency: int
    run_dir: Path
    env_extra: dict = field(default_factory=dict)
    process: Optional[subprocess.Popen] = None

    @property
    def ready_path(self) -> Path:
        return self.run_dir / f"worker-{self.index}.json"

    @property
    def log_path(self) -> Path:
        return self.run_dir / f"worker-{self.index}.log"

    def command(self) -> List[str]:
        return [
            str(self.target.python),
            str(BENCH_DIR / "worker_entry.py"),
            "-A",
            self.target.celery_app,
            "worker",
            "-Q",
            ",".join(QUEUES),
            "-P",
            "gevent",
            "-c",
            str(self.concurrency),
            "-n",
            f"chaos{self.index}@%h",
            "-l",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]

    def start(self) -> "ChaosWorker":
        self.ready_path.unlink(missing_ok=True)
        env = self.target.env(BAMBOO_BENCH_STATS=str(self.ready_path), **self.env_extra)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=self.target.cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready_path.exists():
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"worker {self.index} exited during start-up; see {self.log_path}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"worker {self.index} not ready after {timeout:.0f}s; see {self.log_path}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the worker's process group: nothing is acknowledged, nothing is cleaned up."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), SIGKILL after ``STOP_TIMEOUT``."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(STOP_TIMEOUT)
        self.kill()

    def tracebacks(self) -> int:
        try:
            return self.log_path.read_text(errors="replace").count("Traceback")
        except OSError:
            return 0
