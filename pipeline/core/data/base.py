"""``DataObject``: the inputs/outputs container a service reads and writes (and ``FancyDict``)."""

from bamboo_engine.plugin import DataObject as PluginDataObject
from bamboo_engine.utils.collections import FancyDict

__all__ = ["DataObject", "FancyDict"]


class DataObject(PluginDataObject):
    """``DataObject(inputs, outputs=None)``; see :class:`bamboo_engine.plugin.DataObject`.

    Inputs are plain keys (no ``${}``), including ``_loop`` and ``_inner_loop``. Writing ``ex_data``
    into the outputs sets the failure message users see.

    The methods only restate the plugin API without annotations: upstream's published
    signatures are unannotated.
    """

    def __init__(self, inputs, outputs=None):
        super().__init__(inputs, outputs)

    def get_one_of_inputs(self, key, default=None):
        return super().get_one_of_inputs(key, default)

    def get_one_of_outputs(self, key, default=None):
        return super().get_one_of_outputs(key, default)

    def set_outputs(self, key, value):
        return super().set_outputs(key, value)

    def reset_outputs(self, outputs):
        return super().reset_outputs(outputs)

    def update_outputs(self, dic):
        return super().update_outputs(dic)

    def override_inputs(self, inputs):
        return super().override_inputs(inputs)

    def override_outputs(self, outputs):
        return super().override_outputs(outputs)
