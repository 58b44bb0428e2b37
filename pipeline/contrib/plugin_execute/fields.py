"""``JSONTextField``: a JSON document stored in a text column, read back as Python values."""

import json
from typing import Any

from django.db import models


def dumps(value: Any) -> str:
    """The stored text of ``value``; raises ``TypeError``/``ValueError`` when JSON can not hold it."""
    return json.dumps(value, ensure_ascii=False)


class JSONTextField(models.TextField):
    """Stores ``json.dumps(value)``; the model attribute is the decoded value.

    A text column rather than a database JSON type: the same bytes on SQLite and MariaDB, no JSON
    CHECK constraint to migrate, and conditional ``UPDATE``s can write it like any other column.
    Values that are not JSON serialisable raise ``TypeError`` on save.
    """

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else json.loads(value)

    def get_prep_value(self, value: Any) -> Any:
        return None if value is None else dumps(value)

    def value_to_string(self, obj: Any) -> Any:
        # Like Django's JSONField: serializers embed the value itself, not its JSON text.
        return self.value_from_object(obj)
