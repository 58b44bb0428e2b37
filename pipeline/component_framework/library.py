"""``ComponentLibrary``: in-memory registry of component classes by code and version."""

import threading
from typing import Any, Dict, List

from pipeline.component_framework.constants import EXAMPLE_COMPONENT_PACKAGES, LEGACY_PLUGINS_VERSION
from pipeline.exceptions import ComponentConflictError, ComponentNotExistException

__all__ = ["ComponentLibrary"]


class ComponentLibrary:
    """``components = {code: {version: component_cls}}``.

    ``ComponentLibrary(code, version=None)`` returns the component class (not a library instance), like
    :meth:`get_component_class`.
    """

    components: Dict[str, Dict[str, Any]] = {}
    _lock = threading.Lock()

    def __new__(cls, *args, **kwargs):
        component_code = kwargs.get("component_code") or (args[0] if args else None)
        version = kwargs.get("version") or (args[1] if len(args) > 1 else None)
        return cls.get_component_class(component_code, version)

    @classmethod
    def component_list(cls) -> List[Any]:
        """Every registered component class (all codes, all versions)."""
        return [component_cls for versions in cls.components.values() for component_cls in versions.values()]

    @classmethod
    def get_component_class(cls, component_code, version=None):
        """The class registered under ``(component_code, version)``; ``version=None`` means ``"legacy"``.

        Raises:
            ComponentNotExistException: nothing is registered under that code and version.
        """
        version = version or LEGACY_PLUGINS_VERSION
        component_cls = cls.components.get(component_code, {}).get(version)
        if component_cls is None:
            known = sorted(cls.components.get(component_code, {}))
            detail = f"registered versions: {known}" if known else "no version of this code is registered"
            raise ComponentNotExistException(
                f"component {component_code!r} version {version!r} does not exist ({detail})"
            )
        return component_cls

    @classmethod
    def get_component(cls, component_code, data_dict, version=None):
        """A component instance built with ``data_dict`` (see :meth:`get_component_class`)."""
        return cls.get_component_class(component_code, version)(data_dict)

    @classmethod
    def register_component(cls, component_code, version, component_cls):
        """Register the class of ``(component_code, version)``.

        Which class keeps a code and version does not depend on the order modules are imported in: a
        project's component replaces a shipped example (:data:`EXAMPLE_COMPONENT_PACKAGES`), and an
        example never replaces a project's component. A class declared again (a reloaded module: same
        module and qualified name) replaces its earlier self.

        Raises:
            ComponentConflictError: another class of the project is registered under the same code and
                version; the message names both.
        """
        version = version or LEGACY_PLUGINS_VERSION
        with cls._lock:
            versions = cls.components.setdefault(component_code, {})
            current = versions.get(version)
            if current is not None and _declaration(current) != _declaration(component_cls):
                if _is_example(component_cls) and not _is_example(current):
                    return
                if not _is_example(current):
                    raise ComponentConflictError(
                        f"component {component_code!r} version {version!r} is declared twice: by "
                        f"{_declaration(current)} and by {_declaration(component_cls)}; give one of them "
                        "another code or version"
                    )
            versions[version] = component_cls

    @classmethod
    def codes(cls) -> List[str]:
        return list(cls.components)

    @classmethod
    def versions(cls, code) -> List[str]:
        """Registered versions of ``code`` (empty when the code is unknown)."""
        return list(cls.components.get(code, {}))


def _declaration(component_cls) -> str:
    return f"{component_cls.__module__}.{component_cls.__qualname__}"


def _is_example(component_cls) -> bool:
    module = component_cls.__module__
    return any(module == pkg or module.startswith(f"{pkg}.") for pkg in EXAMPLE_COMPONENT_PACKAGES)
