"""What a chaos run starts: interpreter, Django project, Celery app and environment of (impl, settings).

| impl × settings | project | Celery delivery settings |
|---|---|---|
| ours × playground | ``playground``, probes through ``BAMBOO_CELERY_IMPORTS`` | the playground's |
| ours × upstream-style | ``benchmark/chaos_project`` | none (upstream's documented recipe) |
| upstream × upstream-style | ``benchmark/chaos_project``, upstream's virtualenv | none |
| upstream × playground | ``benchmark/chaos_project``, upstream's venv | the playground's (old-style names) |

The chaos project is the same code on both implementations; its probes app (``chaos_probe``) is on the
``PYTHONPATH`` of every target.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
CHAOS_PROJECT = BENCH_DIR / "chaos_project"
SETTINGS_MODES = ("upstream-style", "playground")


@dataclass(frozen=True)
class ChaosTarget:
    """One implementation under one settings mode, pointed at a database and a broker vhost.

    Attributes:
        impl: ``ours`` or ``upstream``.
        settings: ``upstream-style`` or ``playground``.
        python: the implementation's interpreter.
        settings_module: ``DJANGO_SETTINGS_MODULE``.
        celery_app: ``-A`` of the workers.
        db_url: ``BAMBOO_DB`` (``mysql://.../<database>``).
        broker_url: ``BAMBOO_BROKER`` (``amqp://.../<vhost>``).
        extra_env: more environment for every process of the target.
    """

    impl: str
    settings: str
    python: Path
    settings_module: str
    celery_app: str
    db_url: str
    broker_url: str
    extra_env: Dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.impl}-{self.settings}"

    @property
    def database(self) -> str:
        return self.db_url.rsplit("/", 1)[1].split("?", 1)[0]

    @property
    def vhost(self) -> str:
        return self.broker_url.rsplit("/", 1)[1]

    @property
    def cwd(self) -> Path:
        return REPO_ROOT if self.settings_module.startswith("playground") else CHAOS_PROJECT

    def pythonpath(self) -> List[str]:
        paths = [str(CHAOS_PROJECT)]
        if self.settings_module.startswith("playground"):
            paths.insert(0, str(REPO_ROOT))
        return paths

    def env(self, **extra: str) -> Dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("BAMBOO_", "CHAOS_"))}
        env.update(
            DJANGO_SETTINGS_MODULE=self.settings_module,
            PYTHONPATH=os.pathsep.join(self.pythonpath()),
            BAMBOO_DB=self.db_url,
            BAMBOO_BROKER=self.broker_url,
            BAMBOO_DEBUG="0",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        env.update(extra)
        return env


def make_target(impl: str, settings: str, python: Path, db_server: str, amqp_server: str) -> ChaosTarget:
    """The target of ``impl`` × ``settings`` on a database and vhost named after both."""
    name = f"chaos_{impl}_{settings.replace('-', '_')}"
    db_url = f"{db_server}/{name}?ssl_disabled=true"
    broker_url = f"{amqp_server}/{name}"
    if impl == "ours" and settings == "playground":
        return ChaosTarget(
            impl,
            settings,
            python,
            "playground.settings",
            "playground",
            db_url,
            broker_url,
            {"BAMBOO_CELERY_IMPORTS": "chaos_probe.probes"},
        )
    return ChaosTarget(
        impl,
        settings,
        python,
        "chaos_site.settings",
        "chaos_site",
        db_url,
        broker_url,
        {"CHAOS_CELERY": settings},
    )
