"""Where each implementation runs: interpreter, Django project, database and broker vhost.

``--settings`` chooses the project (benchmark/README.md, "Settings styles"):

| impl × settings | project | database backend and driver; delivery settings |
|---|---|---|
| ours × playground | this repository's ``playground`` | ``pipeline.db.mysql`` on PyMySQL; the playground's |
| upstream × playground | ``.bench-upstream-project`` | Django's backend on PyMySQL; the playground's |
| ours × upstream-style | ``.bench-upstream-style-project`` | Django's backend on mysqlclient; none |
| upstream × upstream-style | the same project, upstream's virtualenv | the same |
"""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict

from benchmark import services, upstream_project

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
PLAYGROUND = "playground"
UPSTREAM_STYLE = "upstream-style"
SETTINGS_MODES = (PLAYGROUND, UPSTREAM_STYLE)


@dataclass(frozen=True)
class Implementation:
    """One side of the comparison.

    Attributes:
        name: ``ours`` or ``upstream``.
        settings: ``playground`` or ``upstream-style``.
        python: interpreter of its virtualenv.
        project_dir: working directory and ``PYTHONPATH`` (the Django project).
        settings_module: ``DJANGO_SETTINGS_MODULE``.
        celery_app: the ``-A`` argument of the workers.
        database: MariaDB database on the shared server.
        vhost: RabbitMQ vhost on the shared broker.
    """

    name: str
    settings: str
    python: Path
    project_dir: Path
    settings_module: str
    celery_app: str
    database: str
    vhost: str

    @property
    def label(self) -> str:
        """``ours``, ``upstream`` (playground) or ``ours-upstream-style``...: worker file names."""
        return self.name if self.settings == PLAYGROUND else f"{self.name}-{self.settings}"

    def uses_mysqlclient(self) -> bool:
        return self.settings == UPSTREAM_STYLE and not services.on_postgres()

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
        # which MySQL driver sql_counter wraps (importing the real MySQLdb where PyMySQL stands in for
        # it would mix the two drivers' modules)
        env["BAMBOO_BENCH_MYSQL_DRIVER"] = "mysqlclient" if self.uses_mysqlclient() else "pymysql"
        return env

    def setup(self) -> None:
        """Database, vhost and migrations (idempotent); upstream also gets its venv, the generated
        projects are (re)written."""
        if self.name == "upstream":
            upstream_project.ensure_venv()
            if self.uses_mysqlclient():
                upstream_project.ensure_mysqlclient()
        if self.settings == UPSTREAM_STYLE:
            upstream_project.write_project(self.project_dir, upstream_project.style_project_files())
        elif self.name == "upstream":
            upstream_project.write_project()
        if self.uses_mysqlclient():
            self._check_mysqlclient()
        services.ensure_database(self.database)
        services.ensure_vhost(self.vhost)
        subprocess.run(
            [str(self.python), "-m", "django", "migrate", "--noinput", "-v", "0"],
            cwd=self.project_dir,
            env=self.env(),
            check=True,
        )

    def _check_mysqlclient(self) -> None:
        probe = subprocess.run([str(self.python), "-c", "import MySQLdb"], capture_output=True, text=True)
        if probe.returncode != 0:
            raise RuntimeError(
                f"{self.python} cannot import MySQLdb (mysqlclient), which --settings upstream-style needs; "
                "for ours: .venv/bin/pip install -e '.[dev,mysql]' (needs libmariadb-dev and pkg-config)"
            )

    def reset(self) -> None:
        """Same starting point for every run: empty runtime tables, no queued messages."""
        services.truncate_runtime_tables(self.database)
        services.purge_queues(self.vhost)


def _suffix() -> str:
    # Two benchmark runs at once would truncate each other's tables: give one of them its own
    # database and vhost (``BAMBOO_BENCH_SUFFIX=_b``).
    return os.environ.get("BAMBOO_BENCH_SUFFIX", "")


def _names(impl: str, settings: str) -> str:
    """Database and vhost name: ``bamboo_bench_ours`` (playground), ``bamboo_bench_ours_upstream_style``..."""
    style = "" if settings == PLAYGROUND else "_" + settings.replace("-", "_")
    return f"bamboo_bench_{impl}{style}{_suffix()}"


def _style_project(name: str, python: Path) -> Implementation:
    return Implementation(
        name=name,
        settings=UPSTREAM_STYLE,
        python=python,
        project_dir=upstream_project.STYLE_PROJECT_DIR,
        settings_module=upstream_project.STYLE_SETTINGS_MODULE,
        celery_app=upstream_project.STYLE_CELERY_APP,
        database=_names(name, UPSTREAM_STYLE),
        vhost=_names(name, UPSTREAM_STYLE),
    )


def ours(settings: str = PLAYGROUND) -> Implementation:
    venv_python = REPO_ROOT / ".venv" / "bin" / "python"
    python = venv_python if venv_python.exists() else Path(sys.executable)
    if settings == UPSTREAM_STYLE:
        return _style_project("ours", python)
    return Implementation(
        name="ours",
        settings=PLAYGROUND,
        python=python,
        project_dir=REPO_ROOT,
        settings_module="playground.settings",
        celery_app="playground",
        database=_names("ours", PLAYGROUND),
        vhost=_names("ours", PLAYGROUND),
    )


def upstream(settings: str = PLAYGROUND) -> Implementation:
    if settings == UPSTREAM_STYLE:
        return _style_project("upstream", upstream_project.venv_python())
    return Implementation(
        name="upstream",
        settings=PLAYGROUND,
        python=upstream_project.venv_python(),
        project_dir=upstream_project.PROJECT_DIR,
        settings_module=upstream_project.SETTINGS_MODULE,
        celery_app=upstream_project.CELERY_APP,
        database=_names("upstream", PLAYGROUND),
        vhost=_names("upstream", PLAYGROUND),
    )


IMPLEMENTATIONS = {"ours": ours, "upstream": upstream}
