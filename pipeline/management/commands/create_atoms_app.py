"""``manage.py create_atoms_app <name>``: legacy name of ``create_plugins_app``."""

from pipeline.management.commands.create_plugins_app import Command as CreatePluginsAppCommand


class Command(CreatePluginsAppCommand):
    help = "Legacy alias of create_plugins_app."
