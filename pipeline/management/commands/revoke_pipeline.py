"""``manage.py revoke_pipeline <pipeline_id>``: revoke a pipeline for good."""

from bamboo_engine import api
from pipeline.management.control import ControlCommand


class Command(ControlCommand):
    help = "Revoke a pipeline: it becomes REVOKED and its processes die at their next node."
    operation = "revoke_pipeline"
    id_help = "id of the root pipeline"
    moves = False

    def apply(self, runtime, target_id, options):
        return api.revoke_pipeline(runtime, target_id)
