"""Import plugin modules so that their classes register themselves (components and variables)."""

import importlib
import pkgutil
from types import ModuleType
from typing import Iterable, List, Optional

from django.apps import apps

from pipeline.component_framework.constants import EXAMPLE_COMPONENT_PACKAGES

__all__ = ["EXAMPLE_COMPONENT_PACKAGES", "component_packages", "import_package_tree", "variable_packages"]


def _import_optional(module_path: str) -> Optional[ModuleType]:
    """Import ``module_path``; None when it (or its parent package) does not exist.

    An ImportError raised *inside* an existing plugin module is a real bug and propagates.
    """
    try:
        return importlib.import_module(module_path)
    except ModuleNotFoundError as err:
        parts = module_path.split(".")
        missing_prefixes = {".".join(parts[:index]) for index in range(1, len(parts) + 1)}
        if err.name in missing_prefixes:
            return None
        raise


def import_package_tree(module_path: str, required: bool = False) -> List[str]:
    """Import a module and, if it is a package, every submodule below it.

    Args:
        module_path: dotted path.
        required: raise ModuleNotFoundError when the module does not exist (configured paths).

    Returns:
        the imported module names.
    """
    module = importlib.import_module(module_path) if required else _import_optional(module_path)
    if module is None:
        return []
    imported = [module.__name__]
    if hasattr(module, "__path__"):
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{module.__name__}."):
            importlib.import_module(info.name)
            imported.append(info.name)
    return imported


def _app_packages(sub_package: str, excluded: Iterable[str] = ()) -> List[str]:
    excluded = set(excluded)
    candidates = [f"{config.name}.{sub_package}" for config in apps.get_app_configs()]
    return [path for path in candidates if path not in excluded]


def component_packages(component_path: Iterable[str], enable_examples: bool) -> List[str]:
    """``<app>.components.collections`` of installed apps, ``COMPONENT_PATH`` and the shipped examples.

    The examples are imported only when ``enable_examples``; the order does not decide which class keeps
    a code (see ``ComponentLibrary.register_component``).
    """
    examples = list(EXAMPLE_COMPONENT_PACKAGES) if enable_examples else []
    packages = _app_packages("components.collections", EXAMPLE_COMPONENT_PACKAGES) + examples
    return list(dict.fromkeys(packages + list(component_path)))


def variable_packages(variable_path: Iterable[str]) -> List[str]:
    """``<app>.variables.collections`` of installed apps and ``VARIABLE_PATH``."""
    return list(dict.fromkeys(_app_packages("variables.collections") + list(variable_path)))
