"""``python manage.py celery <celery arguments>``: the legacy wrapper around the Celery CLI.

``python manage.py celery worker -Q er_execute,er_schedule -P gevent -c 500`` runs exactly what
``celery -A <project> worker -Q er_execute,er_schedule -P gevent -c 500`` runs. The Celery app is the
one named by the ``CELERY_APP`` setting or environment variable, else the package of
``DJANGO_SETTINGS_MODULE`` (``playground.settings`` → ``playground``); ``-A``/``--app`` overrides it.

From the command line the wrapper replaces its process with ``python -m celery ...``: by the time a
management command runs, Django and the project are imported, too late for gevent/eventlet to patch
the standard library, while the Celery CLI patches before importing anything (``-P gevent`` needs it).
``call_command("celery", ...)`` runs the Celery CLI in the calling process instead.
"""

import os
import sys
from typing import List, Sequence

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

CELERY_SUBCOMMAND = ""


def default_app_name() -> str:
    """The Celery app path to pass to ``-A`` when the caller gave none."""
    configured = getattr(settings, "CELERY_APP", None) or os.environ.get("CELERY_APP")
    if configured:
        return configured
    settings_module = os.environ.get("DJANGO_SETTINGS_MODULE", "")
    if "." not in settings_module:
        raise CommandError("cannot guess the Celery app: set CELERY_APP or pass -A/--app")
    return settings_module.rsplit(".", 1)[0]


def celery_argv(arguments: Sequence[str], subcommand: str = "") -> List[str]:
    """Celery CLI arguments for ``arguments`` given after ``manage.py <this command>``."""
    arguments = list(arguments)
    if subcommand:
        arguments.insert(0, subcommand)
    has_app = any(arg in ("-A", "--app") or arg.startswith("--app=") for arg in arguments)
    return arguments if has_app else ["-A", default_app_name(), *arguments]


def exec_celery(argv: Sequence[str]) -> None:
    """Replace this process with ``python -m celery <argv>`` (never returns)."""
    # Keep the project importable when manage.py was started from another directory.
    project_dir = os.path.dirname(os.path.abspath(sys.argv[0]))
    paths = [project_dir, os.environ.get("PYTHONPATH", "")]
    os.environ["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "celery", *argv])


def run_celery(argv: Sequence[str]) -> int:
    """Run the Celery CLI in this process; returns its exit code."""
    from celery.bin.celery import celery as celery_cli

    try:
        # Standalone mode: click prints usage errors and Celery's command errors itself, then exits.
        celery_cli.main(args=list(argv), prog_name="celery", standalone_mode=True)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


class Command(BaseCommand):
    help = "Run the Celery command line (worker, beat, inspect, ...) for this Django project."
    subcommand = CELERY_SUBCOMMAND

    def run_from_argv(self, argv):
        # Celery options (-Q, -P, -c...) are not ours to parse: hand everything after the command name over.
        exec_celery(celery_argv(argv[2:], self.subcommand))

    def add_arguments(self, parser):
        parser.add_argument("celery_args", nargs="*", help="arguments of the Celery command line")

    def handle(self, *args, **options):
        code = run_celery(celery_argv(options.get("celery_args") or args, self.subcommand))
        if code:
            raise CommandError(f"celery exited with status {code}")
