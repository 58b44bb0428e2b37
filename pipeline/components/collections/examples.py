"""Two example components, for trying a pipeline before writing a plugin.

* ``example_component`` succeeds and outputs nothing: a placeholder activity.
* ``pipe_example_component`` copies every input to an output of the same key: the data of a node is
  visible in its outputs, so a tree's variable wiring can be checked by eye.

A project component with the same code and version replaces them (``ComponentLibrary.register_component``).
"""

from pipeline.component_framework.component import Component
from pipeline.core.flow.activity import Service

__group_name__ = "Examples"


class SimpleExampleService(Service):
    """Succeeds at once."""

    def execute(self, data, parent_data):
        return True

    def outputs_format(self):
        return []


class SimpleExampleComponent(Component):
    name = "example component"
    code = "example_component"
    bound_service = SimpleExampleService


class PipeExampleService(Service):
    """Copies every input (``_loop`` and ``_inner_loop`` included) to the outputs."""

    def execute(self, data, parent_data):
        for key, value in data.get_inputs().items():
            data.set_outputs(key, value)
        return True

    def outputs_format(self):
        return []


class PipeExampleComponent(Component):
    name = "pipe example component"
    code = "pipe_example_component"
    bound_service = PipeExampleService
