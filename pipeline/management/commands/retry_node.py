"""``manage.py retry_node <node_id> [--inputs JSON]``: run a FAILED node again, maybe with new inputs."""

from django.core.management.base import CommandError

from bamboo_engine import api
from pipeline.management.control import ControlCommand, parse_json


class Command(ControlCommand):
    help = "Retry a FAILED node; --inputs replaces its inputs (rendered like the tree's inputs)."
    operation = "retry_node"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--inputs",
            help="new inputs as a JSON object, e.g. '{\"n\": 6}', or @file.json (default: keep the inputs)",
        )

    def apply(self, runtime, target_id, options):
        data = None
        if options["inputs"] is not None:
            data = parse_json(options["inputs"], "--inputs")
            if not isinstance(data, dict):
                raise CommandError(f"--inputs: expected a JSON object, got {type(data).__name__}")
        return api.retry_node(runtime, target_id, data=data)
