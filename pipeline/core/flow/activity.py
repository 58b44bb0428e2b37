"""``Service``, the class plugin authors subclass, and the interval generators.

``Service`` is :class:`bamboo_engine.plugin.Service` (same semantics everywhere: the in-memory runtime
and the Django runtime both drive it through the plugin adapter); this subclass only makes the IO item
aliases point at :mod:`pipeline.core.flow.io`.

Return semantics of ``execute``/``schedule``: True or None = success, False = failure, an exception =
failure with the traceback in ``outputs["ex_data"]``. Writing ``ex_data`` yourself before returning
False sets the message users see.
"""

from bamboo_engine.plugin import Service as PluginService
from bamboo_engine.plugin.interval import (
    AbstractIntervalGenerator,
    DefaultIntervalGenerator,
    LinearIntervalGenerator,
    NullIntervalGenerator,
    SquareIntervalGenerator,
    StaticIntervalGenerator,
)
from pipeline.core.flow.io import InputItem, OutputItem

__all__ = [
    "AbstractIntervalGenerator",
    "DefaultIntervalGenerator",
    "LinearIntervalGenerator",
    "NullIntervalGenerator",
    "Service",
    "SquareIntervalGenerator",
    "StaticIntervalGenerator",
]


class Service(PluginService):
    """Base of plugin services.

    Class attributes:
        __need_schedule__: the node is scheduled after a successful ``execute``.
        __multi_callback_enabled__: with no ``interval``: accept several callbacks, finished when the
            service calls ``finish_schedule()``.
        __need_run_hook__: the engine calls the hook methods (``pre_execute``, ``node_finish``, ...).
        interval: an interval generator; set (with ``__need_schedule__``) ⇒ POLL scheduling, the next
            poll comes ``interval.next()`` seconds later.

    Runtime attributes set before each call: ``self.id``, ``self.version``, ``self.top_pipeline_id``,
    ``self.root_pipeline_id``, ``self.loop``, ``self.inner_loop``, ``self.logger``.
    """

    InputItem = InputItem
    OutputItem = OutputItem
    default_outputs = [
        OutputItem(name="Execution result", key="_result", type="boolean"),
        OutputItem(name="Loop times", key="_loop", type="int"),
        OutputItem(name="Inner loop times", key="_inner_loop", type="int"),
    ]
