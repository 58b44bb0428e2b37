"""Input/output item descriptions of a plugin service (also published as ``pipeline.core.flow.io``)."""

from typing import Any, Mapping, Optional


class ItemSchema:
    """Schema of one item value."""

    type = "any"

    def __init__(self, description, enum=None):
        self.description = description
        self.enum = enum if enum is not None else []

    def as_dict(self) -> dict:
        return {"type": self.type, "description": self.description, "enum": self.enum}


class SimpleItemSchema(ItemSchema):
    """Base of the scalar schemas."""


class IntItemSchema(SimpleItemSchema):
    type = "int"


class StringItemSchema(SimpleItemSchema):
    type = "string"


class FloatItemSchema(SimpleItemSchema):
    type = "float"


class BooleanItemSchema(SimpleItemSchema):
    type = "boolean"


class ArrayItemSchema(ItemSchema):
    type = "array"

    def __init__(self, item_schema: ItemSchema, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.item_schema = item_schema

    def as_dict(self) -> dict:
        return {**super().as_dict(), "items": self.item_schema.as_dict()}


class ObjectItemSchema(ItemSchema):
    type = "object"

    def __init__(self, property_schemas: Mapping[str, ItemSchema], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.property_schemas = property_schemas

    def as_dict(self) -> dict:
        properties = {key: schema.as_dict() for key, schema in self.property_schemas.items()}
        return {**super().as_dict(), "properties": properties}


class DataItem:
    """One declared input or output of a service."""

    def __init__(self, name: str, key: str, type: str, schema: Optional[ItemSchema] = None):  # noqa: A002
        self.name = name
        self.key = key
        self.type = type
        self.schema = schema

    def as_dict(self) -> dict:
        schema: Any = self.schema.as_dict() if self.schema is not None else {}
        return {"name": self.name, "key": self.key, "type": self.type, "schema": schema}


class InputItem(DataItem):
    def __init__(self, required: bool = True, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.required = required

    def as_dict(self) -> dict:
        return {**super().as_dict(), "required": self.required}


class OutputItem(DataItem):
    pass
