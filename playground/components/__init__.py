"""Plugins of the playground project: components, a lazy variable and custom end events.

Registered by the playground's settings (``COMPONENT_PATH = ["playground.components.collections"]``),
like any project registers its own; the ``pipeline`` package never imports them.
"""
