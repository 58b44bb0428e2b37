"""The example components, discovered only when ``ENABLE_EXAMPLE_COMPONENTS`` is on (the default)."""
