"""bamboo_engine: a pure-Python process engine driven through the Engine Runtime Interface."""

from bamboo_engine.__version__ import __version__

__all__ = ["Engine", "__version__"]


def __getattr__(name: str):
    # Lazy so that importing a small submodule (builder, states) does not pull in the whole engine.
    if name == "Engine":
        from bamboo_engine.engine import Engine

        return Engine
    raise AttributeError(f"module 'bamboo_engine' has no attribute {name!r}")
