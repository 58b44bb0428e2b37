"""Engine-wide settings: a plain class whose attributes the host mutates at startup."""

from bamboo_engine.utils.constants import ExclusiveGatewayStrategy
from bamboo_engine.utils.expr import default_expr_func

__all__ = ["Settings", "ExclusiveGatewayStrategy"]


class Settings:
    """Sandbox, rendering and gateway settings read by the engine core at use time."""

    MAKO_SANDBOX_SHIELD_WORDS = [
        "ascii", "breakpoint", "bytearray", "bytes", "callable", "chr", "classmethod", "compile",
        "delattr", "dir", "divmod", "exec", "eval", "filter", "format", "frozenset", "getattr",
        "globals", "hasattr", "hash", "help", "id", "input", "isinstance", "issubclass", "iter",
        "locals", "map", "memoryview", "next", "object", "open", "print", "property", "repr",
        "setattr", "staticmethod", "super", "type", "vars", "__import__",
    ]  # fmt: skip
    MAKO_SANDBOX_IMPORT_MODULES: dict = {}
    MAKO_TEMPLATE_NAME_WHITELIST_MODE = "enforce"
    MAKO_TEMPLATE_NAME_EXTRA_WHITELIST: frozenset = frozenset()

    RERUN_INDEX_OFFSET = 0
    ENABLE_RENDER_OBJ_BY_MAKO_STRING = False

    PIPELINE_EXCLUSIVE_GATEWAY_EXPR_FUNC = default_expr_func
    PIPELINE_EXCLUSIVE_GATEWAY_STRATEGY = 1
    PIPELINE_ENABLE_ROLLBACK = False

    LOOP_OUTPUTS_INNER_KEY = "outputs"

    FENCE_EMIT_ENABLED = False
    FENCE_ENFORCE = False

    # Render backend (read by bamboo_engine.template.render_settings, which documents them).
    MAKO_RENDER_BACKEND = "inprocess"
    MAKO_RENDER_POOL_SIZE = 4
    MAKO_RENDER_TIMEOUT = 30
    MAKO_RENDER_MAX_USES = 500
    MAKO_RENDER_OS_HARDEN = True
    MAKO_RENDER_RLIMIT_CPU = 30
    MAKO_RENDER_RLIMIT_AS_MB = 1024
    MAKO_RENDER_NO_NETWORK = True
    MAKO_RENDER_ENV_SCRUB_EXTRA: list = []
    MAKO_RENDER_FALLBACK_INPROCESS = False
