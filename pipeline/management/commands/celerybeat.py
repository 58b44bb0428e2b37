"""``python manage.py celerybeat [beat options]``: the legacy wrapper for ``celery -A <project> beat``."""

from pipeline.management.commands.celery import Command as CeleryCommand


class Command(CeleryCommand):
    help = "Run Celery beat (periodic tasks) for this Django project."
    subcommand = "beat"
