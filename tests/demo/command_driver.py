"""``python -m tests.demo.command_driver '[["retry_node", "x"], ...]'``: several commands in one process.

Prints one JSON line: ``[[true, stdout] or [false, CommandError message], ...]``. Used by the error-case
tests to pay Django's start-up once instead of once per command.
"""

import io
import json
import sys

import django
from django.core.management import call_command
from django.core.management.base import CommandError


def main(commands_json: str) -> None:
    django.setup()
    results = []
    for argv in json.loads(commands_json):
        stdout = io.StringIO()
        try:
            call_command(*argv, stdout=stdout)
            results.append([True, stdout.getvalue()])
        except CommandError as err:
            results.append([False, str(err)])
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1])
