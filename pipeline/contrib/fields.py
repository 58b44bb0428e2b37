"""Model fields shared by the contrib apps."""

from pipeline.contrib.plugin_execute.fields import JSONTextField


class SerializerField(JSONTextField):
    """A Python value in a text column: plain JSON, or tagged JSON for datetimes, Decimals, sets...

    The name of upstream's field for rollback snapshots; stored as :class:`JSONTextField` stores values.
    """
