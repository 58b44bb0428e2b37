"""``manage.py run_pipeline <tree.json>``: start a pipeline from a JSON tree file and show its states.

The tree is the dict ``bamboo_engine.builder.build_tree`` returns (docs/builder.md), saved as JSON.
With the ``memory://`` broker the command runs the pipeline in-process until it is quiet (finished,
failed at a node, or waiting for a callback), up to ``--timeout`` seconds.
"""

import json
import re
import uuid

from django.core.management.base import BaseCommand, CommandError

from bamboo_engine import api
from pipeline.management.control import (
    DEFAULT_TIMEOUT,
    api_data,
    get_runtime,
    is_embedded,
    parse_json,
    pipeline_report,
    quiet_api_errors,
    settle,
    worker_scope,
)

_TREE_KEYS = ("id", "start_event", "end_event", "activities", "gateways", "flows")


def _tree_ids(tree: dict) -> set:
    """Ids of the tree, its nodes and flows, subprocess trees included."""
    ids = {tree["id"], tree["start_event"]["id"], tree["end_event"]["id"]}
    ids.update(tree.get("flows", {}), tree.get("gateways", {}), tree.get("activities", {}))
    for activity in tree.get("activities", {}).values():
        if isinstance(activity.get("pipeline"), dict):
            ids |= _tree_ids(activity["pipeline"])
    return ids


def with_new_ids(tree: dict) -> dict:
    """A copy of ``tree`` where every id (and every reference to it) is a fresh one."""
    mapping = {old: f"n{uuid.uuid4().hex}" for old in _tree_ids(tree)}
    # Ids appear only as whole JSON strings (keys, ids, flow ends, NodeOutput sources).
    text = re.sub(
        r'"((?:[^"\\]|\\.)*)"', lambda m: f'"{mapping.get(m.group(1), m.group(1))}"', json.dumps(tree)
    )
    return json.loads(text)


class Command(BaseCommand):
    help = "Run a pipeline from a JSON tree file and print its node states."

    def add_arguments(self, parser):
        parser.add_argument("tree", help="path of the tree JSON file (build_tree's dict)")
        parser.add_argument("--data", default="{}", help="root_pipeline_data as JSON or @file.json")
        parser.add_argument("--new-ids", action="store_true", help="give the tree fresh ids (run it again)")
        parser.add_argument("--cycle-tolerate", action="store_true", help="allow cycles in the tree")
        parser.add_argument(
            "--timeout",
            type=float,
            default=DEFAULT_TIMEOUT,
            help="embedded broker only: seconds to keep the in-process worker running (default %(default)s)",
        )

    def handle(self, *args, **options):
        tree = self._load_tree(options)
        runtime = get_runtime()
        if runtime.get_state_or_none(tree["id"]) is not None:
            raise CommandError(
                f"run_pipeline: pipeline {tree['id']!r} already ran; pass --new-ids to run it again"
            )
        root_data = parse_json(options["data"], "--data")
        with worker_scope():
            with quiet_api_errors():
                result = api.run_pipeline(
                    runtime, tree, root_pipeline_data=root_data, cycle_tolerate=options["cycle_tolerate"]
                )
            api_data(result, "run_pipeline", tree["id"])
            self.stdout.write(f"started pipeline {tree['id']}")
            settle(options["timeout"])
            self.stdout.write(pipeline_report(runtime, tree["id"]))
        if not is_embedded():
            self.stdout.write(
                f"workers run it; follow it with: python manage.py pipeline_states {tree['id']}"
            )

    def _load_tree(self, options) -> dict:
        tree = parse_json("@" + options["tree"], "tree")
        missing = [key for key in _TREE_KEYS if not isinstance(tree, dict) or key not in tree]
        if missing:
            raise CommandError(f"tree {options['tree']!r}: not a pipeline tree, missing {', '.join(missing)}")
        return with_new_ids(tree) if options["new_ids"] else tree
