"""Signals of the plugin framework."""

from django.dispatch import Signal

#: Sent by :class:`pipeline.core.data.var.RegisterVariableMeta` before a lazy variable class is
#: registered; kwargs: ``variable_cls``.
pre_variable_register = Signal()
