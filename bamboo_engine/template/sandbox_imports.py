"""Modules injected into templates with ``Settings.MAKO_SANDBOX_IMPORT_MODULES``.

A deny-list keeps interpreter-level modules (``os``, ``sys``, ``subprocess``, ``pickle``, ...) out of reach
whatever the host configures; a dotted alias (``"a.b"``) binds the module under nested namespace objects.
"""

import importlib
import logging
from functools import lru_cache
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

from bamboo_engine.utils.mako_safety import MAKO_RESERVED_NAMESPACES

logger = logging.getLogger("bamboo_engine")

# Modules that must never be injected with MAKO_SANDBOX_IMPORT_MODULES; submodules are refused too
# (``importlib.util``) except the ones in ALLOWED_IMPORT_MODULES. Private modules (``_pickle``) always are.
DENIED_IMPORT_MODULES = frozenset(
    {
        "os", "sys", "subprocess", "pickle", "cPickle", "marshal", "shelve", "dbm", "operator", "builtins",
        "importlib", "imp", "pkgutil", "runpy", "zipimport", "ctypes", "socket", "socketserver", "ssl",
        "select", "selectors", "asyncio", "shutil", "tempfile", "pathlib", "glob", "io", "codecs",
        "fileinput", "linecache", "tarfile", "zipfile", "gzip", "bz2", "lzma", "multiprocessing",
        "concurrent", "threading", "signal", "resource", "pty", "tty", "termios", "fcntl", "posix", "nt",
        "pwd", "grp", "platform", "sysconfig", "site", "code", "codeop", "inspect", "gc", "types",
        "weakref", "traceback", "pdb", "bdb", "trace", "tracemalloc", "faulthandler", "dis", "ast",
        "webbrowser", "urllib.request", "http.client", "http.server", "ftplib", "smtplib", "telnetlib",
        "poplib", "imaplib", "xmlrpc", "logging", "mmap", "sqlite3", "atexit", "copyreg", "functools",
        "django", "celery", "kombu", "mako", "bamboo_engine", "pipeline",
    }
)  # fmt: skip
ALLOWED_IMPORT_MODULES = frozenset({"os.path"})


class SandboxNamespace:
    """Holds the inner parts of a dotted import alias (``"a.b"`` makes ``a`` one of these)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"<sandbox namespace {self._name}>"


def is_denied_module(module_path: str) -> bool:
    """Whether ``module_path`` may never be injected into templates."""
    if module_path in ALLOWED_IMPORT_MODULES:
        return False
    parts = module_path.split(".")
    if any(not part.isidentifier() or part.startswith("_") for part in parts):
        return True
    return any(".".join(parts[: index + 1]) in DENIED_IMPORT_MODULES for index in range(len(parts)))


@lru_cache(maxsize=64)
def load_import_modules(import_modules: Tuple[Tuple[str, str], ...]) -> Tuple[Dict[str, Any], FrozenSet[int]]:
    """Import the configured modules; return ``(root alias -> object, ids of the injected modules)``.

    Denied, missing or badly aliased modules are logged and skipped: a bad setting must not break every
    template.
    """
    roots: Dict[str, Any] = {}
    module_ids = set()
    for module_path, alias in import_modules:
        module = _import_allowed(module_path, alias)
        if module is None:
            continue
        module_ids.add(id(module))
        _bind_alias(roots, alias.split("."), module)
    return roots, frozenset(module_ids)


def _import_allowed(module_path: str, alias: str) -> Optional[Any]:
    if is_denied_module(module_path):
        logger.warning("sandbox import of module %r refused: the module is deny-listed", module_path)
        return None
    if not all(part.isidentifier() and not part.startswith("_") for part in alias.split(".")) or any(
        part in MAKO_RESERVED_NAMESPACES for part in alias.split(".")
    ):
        logger.warning("sandbox import of module %r refused: invalid alias %r", module_path, alias)
        return None
    try:
        return importlib.import_module(module_path)
    except Exception as err:  # noqa: BLE001 - a broken module is left out, logged
        logger.warning("sandbox import of module %r failed: %s", module_path, err)
        return None


def _bind_alias(roots: Dict[str, Any], parts: List[str], module: Any) -> None:
    if len(parts) == 1:
        roots[parts[0]] = module
        return
    holder = roots.get(parts[0])
    if not isinstance(holder, SandboxNamespace):
        holder = roots[parts[0]] = SandboxNamespace(parts[0])
    for depth, part in enumerate(parts[1:-1], start=2):
        child = getattr(holder, part, None)
        if not isinstance(child, SandboxNamespace):
            child = SandboxNamespace(".".join(parts[:depth]))
            setattr(holder, part, child)
        holder = child
    setattr(holder, parts[-1], module)
