"""Signals of the flow node registry."""

from django.dispatch import Signal

#: Sent by :meth:`pipeline.core.flow.FlowNodeClsFactory.register_node`; kwargs: ``node_type``, ``node_cls``.
post_new_end_event_register = Signal()
