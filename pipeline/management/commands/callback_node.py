"""``manage.py callback_node <node_id> [--data JSON] [--node-version V]``: answer a waiting node."""

from django.core.management.base import CommandError

from bamboo_engine import api
from pipeline.management.control import ControlCommand, parse_json


class Command(ControlCommand):
    help = "Send callback data to a node waiting for it (api.callback); the version defaults to the current."
    operation = "callback_node"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--data", default="{}", help="callback data as JSON, or @file.json (default {})")
        parser.add_argument("--node-version", help="state version of the node (default: its current version)")

    def apply(self, runtime, target_id, options):
        data = parse_json(options["data"], "--data")
        version = options["node_version"]
        if version is None:
            state = runtime.get_state_or_none(target_id)
            if state is None:
                raise CommandError(f"{self.operation}: unknown id {target_id!r} (no node has run with it)")
            version = state.version
        return api.callback(runtime, target_id, version, data)
