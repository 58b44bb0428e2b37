"""``JSONTextField``: a JSON document stored in a text column, read back as Python values."""

from typing import Any

from django.db import models

from bamboo_engine import codec

# Values that need tags (datetimes, Decimals, sets, ...) are stored as this prefix + tagged JSON. No
# JSON text starts with it (``true`` is the only JSON text starting with "t"), so a row is read with
# exactly the encoding it was written with: plain JSON rows never go through the tag decoder.
TAGGED_PREFIX = f"{codec.TAGGED_JSON_SERIALIZER}:"


def dumps(value: Any) -> str:
    """The stored text of ``value``.

    Raises:
        UnstorableValueError: a part of the value has a type the codec cannot store (a ``TypeError``).
    """
    text, serializer = codec.encode(value)
    return TAGGED_PREFIX + text if serializer == codec.TAGGED_JSON_SERIALIZER else text


def loads(text: str) -> Any:
    """Inverse of :func:`dumps`."""
    if text.startswith(TAGGED_PREFIX):
        return codec.decode(text[len(TAGGED_PREFIX) :], codec.TAGGED_JSON_SERIALIZER)
    return codec.decode(text, codec.JSON_SERIALIZER)


class JSONTextField(models.TextField):
    """Stores :func:`dumps` of the value; the model attribute is the decoded value.

    A text column rather than a database JSON type: the same bytes on SQLite and MariaDB, no JSON
    CHECK constraint to migrate, and conditional ``UPDATE``s can write it like any other column.
    Plain JSON values are stored as plain JSON; datetimes, Decimals, sets, tuples, ... as tagged JSON
    (:mod:`bamboo_engine.codec`). Values the codec cannot store raise ``TypeError`` on save.
    """

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else loads(value)

    def get_prep_value(self, value: Any) -> Any:
        return None if value is None else dumps(value)

    def value_to_string(self, obj: Any) -> Any:
        # Like Django's JSONField: serializers embed the value itself, not its JSON text.
        return self.value_from_object(obj)
