"""Helper that publishes interface classes under the package path."""

from typing import TypeVar

_C = TypeVar("_C", bound=type)

PUBLIC_MODULE = "bamboo_engine.eri.interfaces"


def public(cls: _C) -> _C:
    """Report ``cls`` as defined in ``bamboo_engine.eri.interfaces``.

    The interfaces live in one module per concern, but the published contract (signatures rendered
    with ``inspect``, e.g. ``-> bamboo_engine.eri.interfaces.Service``, and pickled references) names
    them by the package path, so the class must say it comes from there.
    """
    cls.__module__ = PUBLIC_MODULE
    return cls
