"""Plugins shipped with ``pipeline``: the example components (``ENABLE_EXAMPLE_COMPONENTS``)."""
