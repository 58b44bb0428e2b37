"""``manage.py update_variable_models``: sync ``VariableModel`` with the registered lazy variables."""

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS

from pipeline.variable_framework.sync import sync_variable_models


class Command(BaseCommand):
    help = "Create/enable a VariableModel row per registered lazy variable; disable rows of removed ones."

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias to sync")

    def handle(self, *args, **options):
        counts = sync_variable_models(using=options["database"])
        self.stdout.write(
            f"variables synced: {counts['created']} created, {counts['enabled']} enabled, "
            f"{counts['disabled']} disabled"
        )
