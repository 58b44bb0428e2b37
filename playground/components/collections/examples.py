"""Introductory components: ``example_component`` and ``factorial`` (the docs' running example).

This ``example_component`` echoes its ``message`` input; it replaces the example of the same code shipped
with ``pipeline`` (a project's component always wins over a shipped example).
"""

import math

from pipeline.component_framework.component import Component
from pipeline.core.flow.activity import Service
from pipeline.core.flow.io import IntItemSchema, StringItemSchema

__group_name__ = "Examples"


class ExampleService(Service):
    """Echoes its ``message`` input into the ``message`` output."""

    def inputs_format(self):
        return [
            self.InputItem(name="Message", key="message", type="string", schema=StringItemSchema("any text"))
        ]

    def outputs_format(self):
        return [
            self.OutputItem(name="Message", key="message", type="string", schema=StringItemSchema("echo"))
        ]

    def execute(self, data, parent_data):
        data.set_outputs("message", data.get_one_of_inputs("message", ""))
        return True


class ExampleComponent(Component):
    name = "Example"
    code = "example_component"
    bound_service = ExampleService
    desc = "Copies the message input to the message output."


class FactorialService(Service):
    """``factorial_of_n = n!``; a negative or non-integer ``n`` fails with a readable ``ex_data``."""

    def inputs_format(self):
        return [self.InputItem(name="N", key="n", type="int", schema=IntItemSchema("a non-negative integer"))]

    def outputs_format(self):
        return [
            self.OutputItem(name="N!", key="factorial_of_n", type="int", schema=IntItemSchema("n factorial"))
        ]

    def execute(self, data, parent_data):
        n = data.get_one_of_inputs("n")
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            data.set_outputs("ex_data", f"n must be a non-negative integer, got {n!r}")
            return False
        data.set_outputs("factorial_of_n", math.factorial(n))
        return True


class FactorialComponent(Component):
    name = "Factorial"
    code = "factorial"
    bound_service = FactorialService
    desc = "Computes n!."
