"""The ``MAKO_RENDER_*`` engine settings: which render backend templates use, and how it is isolated.

Read from :class:`bamboo_engine.config.Settings` (which holds the defaults) when the first template is
rendered, and again after ``reset_render_backend()``. The Django runtime copies the Django settings of
the same names there and checks them at start-up, so a bad value stops the process instead of failing
nodes. All but the first apply to the ``subprocess`` backend only:

==================================  ===================================================================
``MAKO_RENDER_BACKEND``             ``"inprocess"`` (the default) or ``"subprocess"`` (a worker pool)
``MAKO_RENDER_POOL_SIZE``           worker processes
``MAKO_RENDER_TIMEOUT``             seconds one render may take
``MAKO_RENDER_MAX_USES``            renders a worker serves before it is replaced
``MAKO_RENDER_OS_HARDEN``           apply the two resource limits below
``MAKO_RENDER_RLIMIT_CPU``          CPU seconds a worker may use over its life (0: unlimited)
``MAKO_RENDER_RLIMIT_AS_MB``        address space of a worker in MB (0: unlimited)
``MAKO_RENDER_NO_NETWORK``          workers render in an empty network namespace (Linux)
``MAKO_RENDER_ENV_SCRUB_EXTRA``     more name fragments of environment variables workers drop
``MAKO_RENDER_FALLBACK_INPROCESS``  render in this process when the context can not be sent
==================================  ===================================================================
"""

import sys
from typing import Any, Callable, Dict, Optional, Tuple

from bamboo_engine.config import Settings
from bamboo_engine.exceptions import ValueError as EngineValueError

BACKENDS = ("inprocess", "subprocess")
#: Render workers drop every environment variable whose name contains one of these (any case): a
#: template has no business with credentials, and a worker holds none it could leak.
DEFAULT_ENV_SCRUB = (
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "CREDENTIAL",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "API_KEY",
    "DSN",
    "DATABASE",
    "MYSQL",
    "REDIS",
    "BROKER",
    "AMQP",
    "RABBITMQ",
)


def _bad(name: str, expected: str, value: Any) -> EngineValueError:
    return EngineValueError(f"{name} must be {expected}, got {value!r}")


def _backend(name: str, value: Any) -> str:
    if value not in BACKENDS:
        raise _bad(name, " or ".join(repr(b) for b in BACKENDS), value)
    return value


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _bad(name, "an int of at least 1", value)
    return value


def _limit(name: str, value: Any) -> Optional[int]:
    if value is None or value == 0:
        return None
    return _count(name, value)


def _seconds(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise _bad(name, "a positive number of seconds", value)
    return float(value)


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _bad(name, "True or False", value)
    return value


def _names(name: str, value: Any) -> Tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise _bad(name, "a list of strings", value)
    return tuple(value)


_READERS: Dict[str, Callable[[str, Any], Any]] = {
    "MAKO_RENDER_BACKEND": _backend,
    "MAKO_RENDER_POOL_SIZE": _count,
    "MAKO_RENDER_TIMEOUT": _seconds,
    "MAKO_RENDER_MAX_USES": _count,
    "MAKO_RENDER_OS_HARDEN": _flag,
    "MAKO_RENDER_RLIMIT_CPU": _limit,
    "MAKO_RENDER_RLIMIT_AS_MB": _limit,
    "MAKO_RENDER_NO_NETWORK": _flag,
    "MAKO_RENDER_ENV_SCRUB_EXTRA": _names,
    "MAKO_RENDER_FALLBACK_INPROCESS": _flag,
}
SETTING_NAMES = tuple(_READERS)


def read_render_settings(settings: Any = Settings) -> Dict[str, Any]:
    """Every ``MAKO_RENDER_*`` value of ``settings`` (the ``Settings`` defaults for missing ones), checked.

    Raises:
        bamboo_engine.exceptions.ValueError: a value is invalid; the message names the setting.
    """
    values = {
        name: read(name, getattr(settings, name, getattr(Settings, name))) for name, read in _READERS.items()
    }
    if (
        values["MAKO_RENDER_BACKEND"] == "subprocess"
        and values["MAKO_RENDER_NO_NETWORK"]
        and not sys.platform.startswith("linux")
    ):
        raise EngineValueError(
            f"MAKO_RENDER_NO_NETWORK needs Linux network namespaces; set it to False on {sys.platform}"
        )
    return values
