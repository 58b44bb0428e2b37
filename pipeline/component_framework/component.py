"""``Component``: what plugin authors declare to publish a service under a code.

Example::

    class FactorialComponent(Component):
        name = "Factorial"
        code = "factorial"
        bound_service = FactorialService

Creating the class registers it in :class:`~pipeline.component_framework.library.ComponentLibrary`;
nothing is written to the database at import time.
"""

from typing import Any, Optional

from pipeline.component_framework.base import ComponentMeta
from pipeline.component_framework.constants import LEGACY_PLUGINS_VERSION
from pipeline.core.data.base import DataObject
from pipeline.core.data.library import VariableLibrary
from pipeline.core.data.var import SpliceVariable
from pipeline.exceptions import PipelineException

__all__ = ["Component", "ComponentDataError"]

_PLAIN, _SPLICE, _LAZY = "plain", "splice", "lazy"


class ComponentDataError(PipelineException, ValueError):
    """An input of the component's data dict cannot be resolved."""


class Component(metaclass=ComponentMeta):
    """Base of plugin components.

    Class attributes:
        name: display name (required).
        code: code used in trees as ``component.code`` (required).
        bound_service: the :class:`pipeline.core.flow.activity.Service` subclass (required).
        version: defaults to ``"legacy"``.
        form, output_form: front-end form paths.
        desc, base: free texts.
        is_default_version: the version a front end proposes first.
        embedded_form: the form is embedded (see :meth:`form_is_embedded`).
        group_name, group_icon: set by the metaclass from the module's ``__group_name__`` (else the
            module name title-cased) and ``__group_icon__``.

    Args:
        data_dict: the node's component data, ``{key: {"type": "plain"|"splice"|"lazy", "value": ...,
            "custom_type": <lazy variable code>}}`` (``type`` defaults to splice; a bare value is plain).
    """

    name: Any = None
    code: Optional[str] = None
    bound_service: Optional[type] = None
    version = LEGACY_PLUGINS_VERSION
    form = None
    output_form = None
    desc = ""
    base = ""
    is_default_version = False
    embedded_form = False
    group_name = ""
    group_icon = ""

    def __init__(self, data_dict):
        self.data_dict = data_dict or {}

    @classmethod
    def outputs_format(cls):
        """``as_dict()`` of every output of the bound service (its own outputs + the default ones)."""
        return [item.as_dict() for item in cls.bound_service().outputs()]

    @classmethod
    def inputs_format(cls):
        return [item.as_dict() for item in cls.bound_service().inputs()]

    @classmethod
    def _get_item_schema(cls, key, items):
        for item in items:
            if item.key == key:
                return item.schema
        return None

    @classmethod
    def get_output_schema(cls, key):
        """Schema (an ``ItemSchema``, or None) of the output ``key``."""
        return cls._get_item_schema(key, cls.bound_service().outputs())

    @classmethod
    def get_input_schema(cls, key):
        return cls._get_item_schema(key, cls.bound_service().inputs())

    @classmethod
    def form_is_embedded(cls):
        return bool(cls.embedded_form)

    def clean_execute_data(self, context):
        """The data dict used for execution; override to add or rewrite inputs from ``context``."""
        return self.data_dict

    def data_for_execution(self, context, pipeline_data):
        """A :class:`DataObject` whose inputs are the resolved values of :meth:`clean_execute_data`.

        Args:
            context: ``{name: value}`` the splice values are rendered against.
            pipeline_data: root pipeline data inputs, given to lazy variables.

        Raises:
            ComponentDataError: an input has no data, or names an unknown lazy variable.
        """
        data_dict = self.clean_execute_data(context)
        inputs = {
            key: self._resolve_input(key, item, context or {}, pipeline_data or {})
            for key, item in data_dict.items()
        }
        return DataObject(inputs)

    def _resolve_input(self, key, item, context, pipeline_data):
        if item is None:
            raise ComponentDataError(f"component {self.code}: input {key!r} has no data")
        if not isinstance(item, dict) or "value" not in item:
            return item
        value_type = item.get("type", _SPLICE)
        if value_type == _PLAIN:
            return item["value"]
        if value_type == _LAZY:
            variable = VariableLibrary.get_var_class(item.get("custom_type"))
            if variable is None:
                raise ComponentDataError(
                    f"component {self.code}: input {key!r} uses unknown lazy variable "
                    f"{item.get('custom_type')!r}"
                )
            return variable(
                key, SpliceVariable(key, item["value"], context).get(), context, pipeline_data
            ).get()
        return SpliceVariable(key, item["value"], context).get()

    def service(self):
        """A new instance of the bound service."""
        return self.bound_service()
