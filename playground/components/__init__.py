"""Example plugins of the playground: components, a lazy variable and a custom end event.

Discovered by ``pipeline.component_framework`` (``<app>.components.collections`` of installed apps, and
``playground.components.collections`` whenever ``ENABLE_EXAMPLE_COMPONENTS`` is on).
"""
