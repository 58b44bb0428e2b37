"""Plugins that store ordinary Python values in their outputs, and one that reads them back."""

import uuid
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from pipeline.component_framework.component import Component
from pipeline.core.flow.activity import Service

__group_name__ = "Compat values"

#: What ``compat_python_values`` stores, one output per key (and all of them under ``bundle``).
PYTHON_VALUES = {
    "naive_datetime": datetime(2024, 5, 6, 7, 8, 9, 123456),
    "aware_datetime": datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone(timedelta(hours=8))),
    "date": date(2024, 5, 6),
    "time": time(7, 8, 9, 500),
    "timedelta": timedelta(days=1, seconds=2, microseconds=3),
    "decimal": Decimal("12.3400"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "set": {1, 2, 3},
    "frozenset": frozenset({"a", "b"}),
    "tuple": (1, "two", 3.0),
    "bytes": b"\x00\xffbytes",
    "nested": {"when": datetime(2024, 1, 2, 3, 4, 5), "pair": (1, 2), "tags": {"x"}},
}


class PythonValuesService(Service):
    """Outputs every value of ``PYTHON_VALUES``; fails (outputs kept) when its input ``fail`` is true."""

    def execute(self, data, parent_data):
        for key, value in PYTHON_VALUES.items():
            data.set_outputs(key, value)
        data.set_outputs("bundle", dict(PYTHON_VALUES))
        if data.get_one_of_inputs("fail", False):
            data.set_outputs("ex_data", "asked to fail")
            return False
        return True


class PythonValuesComponent(Component):
    name = "Python values"
    code = "compat_python_values"
    bound_service = PythonValuesService


class TypeNamesService(Service):
    """Outputs ``types``: the type name of every value of its ``bundle`` input (a dict)."""

    def execute(self, data, parent_data):
        bundle = data.get_one_of_inputs("bundle")
        data.set_outputs("types", {key: type(value).__name__ for key, value in bundle.items()})
        data.set_outputs("equal", bundle == PYTHON_VALUES)
        return True


class TypeNamesComponent(Component):
    name = "Type names"
    code = "compat_type_names"
    bound_service = TypeNamesService
