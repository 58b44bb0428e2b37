"""``manage.py update_component_models``: sync the ``ComponentModel`` table with the registered components."""

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS

from pipeline.component_framework.sync import sync_component_models


class Command(BaseCommand):
    help = "Create/update a ComponentModel row per registered component; disable rows of removed ones."

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias to sync")

    def handle(self, *args, **options):
        counts = sync_component_models(using=options["database"])
        self.stdout.write(
            f"components synced: {counts['created']} created, {counts['updated']} updated, "
            f"{counts['disabled']} disabled"
        )
