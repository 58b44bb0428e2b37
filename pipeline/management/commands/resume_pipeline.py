"""``manage.py resume_pipeline <pipeline_id>``: resume a SUSPENDED pipeline."""

from bamboo_engine import api
from pipeline.management.control import ControlCommand


class Command(ControlCommand):
    help = "Resume a SUSPENDED pipeline or subprocess and re-run the processes it stopped."
    operation = "resume_pipeline"
    id_help = "id of the root pipeline or of a subprocess node"

    def apply(self, runtime, target_id, options):
        return api.resume_pipeline(runtime, target_id)
