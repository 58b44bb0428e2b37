"""``ComponentMeta``: registers concrete component classes in memory when they are created.

Nothing here touches the database: the ``ComponentModel`` table is synced later, in ``post_migrate``
and by ``update_component_models`` (see :mod:`pipeline.component_framework.sync`).
"""

import sys

from pipeline.component_framework.constants import LEGACY_PLUGINS_VERSION
from pipeline.component_framework.library import ComponentLibrary

__all__ = ["ComponentMeta"]

REQUIRED_ATTRIBUTES = ("code", "name", "bound_service")


class ComponentMeta(type):
    """Fills ``version``/``group_name``/``group_icon`` and registers classes that are concrete.

    A class is concrete when it has (own or inherited) ``code``, ``name`` and ``bound_service``.
    A module-level ``__register_ignore__ = True`` skips every component of that module.
    """

    def __new__(mcs, name, bases, attrs, **kwargs):
        new_cls = super().__new__(mcs, name, bases, attrs, **kwargs)
        if not all(getattr(new_cls, attr, None) for attr in REQUIRED_ATTRIBUTES):
            return new_cls
        module = sys.modules.get(new_cls.__module__)
        if not new_cls.version:
            new_cls.version = LEGACY_PLUGINS_VERSION
        module_name = new_cls.__module__.rsplit(".", 1)[-1]
        # An explicit class attribute wins over the module-level defaults.
        if "group_name" not in attrs:
            new_cls.group_name = getattr(module, "__group_name__", None) or module_name.title()
        if "group_icon" not in attrs:
            new_cls.group_icon = getattr(module, "__group_icon__", "")
        if not getattr(module, "__register_ignore__", False):
            ComponentLibrary.register_component(new_cls.code, new_cls.version, new_cls)
        return new_cls
