"""``manage.py create_plugins_app <name>``: scaffold a Django app that publishes plugin components."""

import keyword
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pipeline.component_framework.scaffold import scaffold_files


class Command(BaseCommand):
    help = (
        "Create a plugin app: <name>/components/collections/ with a sample component and test, static forms."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="app name (a Python identifier)")
        parser.add_argument("--directory", default=".", help="where to create the app (default: current dir)")

    def handle(self, *args, **options):
        name = options["name"]
        if not name.isidentifier() or keyword.iskeyword(name):
            raise CommandError(f"app name {name!r} is not a valid Python identifier")
        root = Path(options["directory"]).resolve() / name
        if root.exists():
            raise CommandError(f"{root} already exists")
        for relative_path, content in scaffold_files(name).items():
            path = root / relative_path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        self.stdout.write(f"plugin app {name!r} created in {root}; add {name!r} to INSTALLED_APPS")
