"""Gateways."""

from bamboo_engine.builder.flow.base import Element

__all__ = ["ParallelGateway", "ExclusiveGateway", "ConditionalParallelGateway", "ConvergeGateway"]


class ParallelGateway(Element):
    def type(self):
        return "ParallelGateway"


class ConditionGateway(Element):
    """Base of gateways whose outgoing flows carry conditions.

    Args:
        conditions: ``{outgoing_index: "expression"}``.
        default_condition_outgoing: index of the outgoing element taken when no condition holds.
    """

    def __init__(self, conditions=None, default_condition_outgoing=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conditions = conditions if conditions is not None else {}
        self.default_condition_outgoing = default_condition_outgoing

    def add_condition(self, index, evaluate):
        """Set the expression of outgoing ``index``."""
        self.conditions[index] = evaluate

    def link_conditions_with(self, outgoing):
        """Map each outgoing flow id (in outgoing order) to ``{"evaluate": expression}``.

        Raises:
            KeyError: an outgoing index has no condition.
        """
        return {flow_id: {"evaluate": self.conditions[index]} for index, flow_id in enumerate(outgoing)}

    def link_default_condition_with(self, outgoing):
        """``{"flow_id": <default flow id>}``, or ``{}`` without a default."""
        if self.default_condition_outgoing is None:
            return {}
        return {"flow_id": outgoing[self.default_condition_outgoing]}


class ExclusiveGateway(ConditionGateway):
    def type(self):
        return "ExclusiveGateway"


class ConditionalParallelGateway(ConditionGateway):
    def type(self):
        return "ConditionalParallelGateway"


class ConvergeGateway(Element):
    def type(self):
        return "ConvergeGateway"
