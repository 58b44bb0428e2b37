"""``manage.py run_component [-d data] [-p parent_data] [-c callback_data] <code>``: run a component."""

import json

from django.core.management.base import BaseCommand, CommandError

from pipeline.component_framework.library import ComponentLibrary
from pipeline.component_framework.runner import ComponentRunner
from pipeline.exceptions import ComponentNotExistException


def _json_dict(option: str, text: str):
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise CommandError(f"{option} is not valid JSON: {err}") from err
    if not isinstance(value, dict):
        raise CommandError(f"{option} must be a JSON object, got {type(value).__name__}")
    return value


class Command(BaseCommand):
    help = "Run a registered component's service locally (execute, then its schedule) and print the outputs."

    def add_arguments(self, parser):
        parser.add_argument("code", help="component code")
        parser.add_argument("-d", "--data", default="{}", help="inputs, a JSON object")
        parser.add_argument("-p", "--parent_data", default="{}", help="root pipeline inputs, a JSON object")
        parser.add_argument("-c", "--callback_data", default=None, help="callback data, a JSON object")
        parser.add_argument("--component-version", default=None, help='component version (default "legacy")')

    def handle(self, *args, **options):
        try:
            component_cls = ComponentLibrary.get_component_class(
                options["code"], options["component_version"]
            )
        except ComponentNotExistException as err:
            raise CommandError(str(err)) from err
        data = _json_dict("--data", options["data"])
        parent_data = _json_dict("--parent_data", options["parent_data"])
        callback_data = None
        if options["callback_data"] is not None:
            callback_data = _json_dict("--callback_data", options["callback_data"])
        result = ComponentRunner(component_cls).run(data, parent_data, callback_data)
        report = {
            "success": result.success,
            "stage": result.stage,
            "schedule_times": result.schedule_times,
            "outputs": result.outputs,
        }
        self.stdout.write(json.dumps(report, indent=2, default=str, ensure_ascii=False))
        if result.error:
            self.stderr.write(result.error)
