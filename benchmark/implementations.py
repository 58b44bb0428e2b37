"""Where each implementation runs: interpreter, Django project, database and broker vhost."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict

from benchmark import services, upstream_project

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent


@dataclass(frozen=True)
class Implementation:
    """One side of the comparison.

    Attributes:
        name: ``ours`` or ``upstream``.
        python: interpreter of its virtualenv.
        project_dir: working directory and ``PYTHONPATH`` (the Django project).
        settings_module: ``DJANGO_SETTINGS_MODULE``.
        celery_app: the ``-A`` argument of the workers.
        database: MariaDB database on the shared server.
        vhost: RabbitMQ vhost on the shared broker.
    """

    name: str
    python: Path
    project_dir: Path
    settings_module: str
    celery_app: str
    database: str
    vhost: str

    def env(self) -> Dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE=self.settings_module,
            PYTHONPATH=str(self.project_dir),
            BAMBOO_DB=services.db_url(self.database),
            BAMBOO_BROKER=services.broker_url(self.vhost),
            PYTHONUNBUFFERED="1",
            # Our playground defaults to DEBUG=True, which keeps every SQL statement in memory.
            BAMBOO_DEBUG="0",
        )
        return env

    def setup(self) -> None:
        """Database, vhost and migrations (idempotent); upstream also gets its venv and project."""
        if self.name == "upstream":
            upstream_project.ensure_venv()
            upstream_project.write_project()
        services.ensure_database(self.database)
        services.ensure_vhost(self.vhost)
        subprocess.run(
            [str(self.python), "-m", "django", "migrate", "--noinput", "-v", "0"],
            cwd=self.project_dir,
            env=self.env(),
            check=True,
        )

    def reset(self) -> None:
        """Same starting point for every run: empty runtime tables, no queued messages."""
        services.truncate_runtime_tables(self.database)
        services.purge_queues(self.vhost)


def _suffix() -> str:
    # Two benchmark runs at once would truncate each other's tables: give one of them its own
    # database and vhost (``BAMBOO_BENCH_SUFFIX=_b``).
    return os.environ.get("BAMBOO_BENCH_SUFFIX", "")


def ours() -> Implementation:
    venv_python = REPO_ROOT / ".venv" / "bin" / "python"
    return Implementation(
        name="ours",
        python=venv_python if venv_python.exists() else Path(sys.executable),
        project_dir=REPO_ROOT,
        settings_module="playground.settings",
        celery_app="playground",
        database="bamboo_bench_ours" + _suffix(),
        vhost="bamboo_bench_ours" + _suffix(),
    )


def upstream() -> Implementation:
    return Implementation(
        name="upstream",
        python=upstream_project.venv_python(),
        project_dir=upstream_project.PROJECT_DIR,
        settings_module=upstream_project.SETTINGS_MODULE,
        celery_app=upstream_project.CELERY_APP,
        database="bamboo_bench_upstream" + _suffix(),
        vhost="bamboo_bench_upstream" + _suffix(),
    )


IMPLEMENTATIONS = {"ours": ours, "upstream": upstream}
