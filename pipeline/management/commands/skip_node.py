"""``manage.py skip_node <node_id>``: mark a FAILED activity finished and go on."""

from bamboo_engine import api
from pipeline.management.control import ControlCommand


class Command(ControlCommand):
    help = "Skip a FAILED node: it becomes FINISHED (skip=yes, outputs not mapped) and the run goes on."
    operation = "skip_node"

    def apply(self, runtime, target_id, options):
        return api.skip_node(runtime, target_id)
