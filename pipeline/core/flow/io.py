"""Declared inputs/outputs of a service and their value schemas.

The behaviour lives in :mod:`bamboo_engine.plugin.io`; the classes here are the ones published under
``pipeline.core.flow.io``. They are subclasses (not aliases) so that ``isinstance`` works against both
import paths and the classes report this module as their home. Constructors are restated without
annotations because upstream's published signatures are unannotated.
"""

from bamboo_engine.plugin import io as plugin_io

__all__ = [
    "ArrayItemSchema",
    "BooleanItemSchema",
    "DataItem",
    "FloatItemSchema",
    "InputItem",
    "IntItemSchema",
    "ItemSchema",
    "ObjectItemSchema",
    "OutputItem",
    "SimpleItemSchema",
    "StringItemSchema",
]


class ItemSchema(plugin_io.ItemSchema):
    """Schema of one item value: ``ItemSchema(description, enum=None)``."""


class SimpleItemSchema(plugin_io.SimpleItemSchema, ItemSchema):
    """Base of the scalar schemas."""


class IntItemSchema(plugin_io.IntItemSchema, SimpleItemSchema):
    """An integer value (``"int"``)."""


class StringItemSchema(plugin_io.StringItemSchema, SimpleItemSchema):
    """A string value (``"string"``)."""


class FloatItemSchema(plugin_io.FloatItemSchema, SimpleItemSchema):
    """A float value (``"float"``)."""


class BooleanItemSchema(plugin_io.BooleanItemSchema, SimpleItemSchema):
    """A boolean value (``"boolean"``)."""


class ArrayItemSchema(plugin_io.ArrayItemSchema, ItemSchema):
    """A list whose items follow ``item_schema``: ``ArrayItemSchema(item_schema, description, enum=None)``."""

    def __init__(self, item_schema, *args, **kwargs):
        super().__init__(item_schema, *args, **kwargs)


class ObjectItemSchema(plugin_io.ObjectItemSchema, ItemSchema):
    """A dict with the given ``property_schemas`` (``{key: ItemSchema}``)."""

    def __init__(self, property_schemas, *args, **kwargs):
        super().__init__(property_schemas, *args, **kwargs)


class DataItem(plugin_io.DataItem):
    """One declared input or output: ``DataItem(name, key, type, schema=None)``."""

    def __init__(self, name, key, type, schema=None):  # noqa: A002 - published name
        super().__init__(name, key, type, schema)


class InputItem(plugin_io.InputItem, DataItem):
    """A declared input: ``InputItem(required=True, name=..., key=..., type=..., schema=None)``."""

    def __init__(self, required=True, *args, **kwargs):
        super().__init__(required, *args, **kwargs)


class OutputItem(plugin_io.OutputItem, DataItem):
    """A declared output."""

    def __init__(self, name, key, type, schema=None):  # noqa: A002 - published name
        super().__init__(name, key, type, schema)
