"""``manage.py pipeline_states <pipeline_id>``: a pipeline's node states as a table, and its outputs."""

from django.core.management.base import BaseCommand

from pipeline.management.control import get_runtime, pipeline_report


class Command(BaseCommand):
    help = "Show the state of every node of a pipeline (subprocess nodes indented) and its outputs."

    def add_arguments(self, parser):
        parser.add_argument("pipeline_id", help="id of the root pipeline")

    def handle(self, *args, **options):
        self.stdout.write(pipeline_report(get_runtime(), options["pipeline_id"]))
