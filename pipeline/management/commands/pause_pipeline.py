"""``manage.py pause_pipeline <pipeline_id>``: suspend a pipeline (or a subprocess) at its next nodes."""

from bamboo_engine import api
from pipeline.management.control import ControlCommand


class Command(ControlCommand):
    help = "Pause a RUNNING pipeline or subprocess: its processes stop before their next node."
    operation = "pause_pipeline"
    id_help = "id of the root pipeline or of a subprocess node"
    moves = False

    def apply(self, runtime, target_id, options):
        return api.pause_pipeline(runtime, target_id)
