"""The builtins a template can see: bounded versions of the few that can allocate without limit."""

import builtins
from functools import lru_cache
from typing import Any, Dict, FrozenSet, Tuple

from bamboo_engine.template.sandbox import (
    MAX_INT_BITS,
    MAX_OUTPUT_SIZE,
    MAX_ROUND_DIGITS,
    SandboxLimitError,
    check_power,
    require_size,
    weight,
)
from bamboo_engine.template.sandbox_imports import load_import_modules
from bamboo_engine.utils.mako_safety import (
    SAFE_BUILTIN_NAMES,
    SandboxOptions,
    TemplateSandboxError,
)

_MISSING = object()


def safe_str(value: Any = "", *args: Any, **kwargs: Any) -> str:
    """``str()`` that refuses values whose text would exceed the output limit."""
    if args or kwargs:
        return str(value, *args, **kwargs)
    require_size(weight(value), "string conversion")
    return str(value)


def safe_repr(value: Any) -> str:
    require_size(weight(value), "repr")
    return repr(value)


def safe_ascii(value: Any) -> str:
    require_size(weight(value) * 10, "ascii")
    return ascii(value)


def safe_int(*args: Any, **kwargs: Any) -> int:
    result = int(*args, **kwargs)
    if result.bit_length() > MAX_INT_BITS:
        raise SandboxLimitError("integer is too large")
    return result


def safe_bytes(*args: Any, **kwargs: Any) -> bytes:
    if args and isinstance(args[0], int):
        require_size(args[0], "bytes")
    return bytes(*args, **kwargs)


def safe_range(*args: Any) -> range:
    """``range()`` limited to :data:`MAX_OUTPUT_SIZE` items, so ``sum(range(10**12))`` cannot hang."""
    result = range(*args)
    if len(result) > MAX_OUTPUT_SIZE:
        raise SandboxLimitError(f"range of {len(result)} items exceeds {MAX_OUTPUT_SIZE}")
    return result


def safe_pow(base: Any, exponent: Any, mod: Any = None) -> Any:
    if mod is None:
        check_power(base, exponent)
        return pow(base, exponent)
    return pow(base, exponent, mod)


def safe_round(number: Any, ndigits: Any = None) -> Any:
    if ndigits is None:
        return round(number)
    if isinstance(ndigits, int) and abs(ndigits) > MAX_ROUND_DIGITS:
        raise SandboxLimitError("round() precision is too large")
    return round(number, ndigits)


def safe_sum(iterable: Any, start: Any = 0) -> Any:
    # A list or tuple start makes sum() quadratic; templates only need numbers.
    if not isinstance(start, int | float | complex):
        raise TemplateSandboxError("sum() only accepts a numeric start value")
    return sum(iterable, start)


# Calling one of these types (also when a context object hands one out) goes through its bounded twin.
TYPE_REDIRECTS: Dict[type, Any] = {str: safe_str, int: safe_int, bytes: safe_bytes, range: safe_range}

_SAFE_BUILTINS: Dict[str, Any] = {
    "True": True,
    "False": False,
    "None": None,
    "bool": bool,
    "int": int,
    "float": float,
    "str": str,
    "list": list,
    "tuple": tuple,
    "dict": dict,
    "set": set,
    "abs": abs,
    "round": safe_round,
    "pow": safe_pow,
    "sum": safe_sum,
    "min": min,
    "max": max,
    "len": len,
    "range": range,
    "slice": slice,
    "enumerate": enumerate,
    "zip": zip,
    "sorted": sorted,
    "reversed": reversed,
    "all": all,
    "any": any,
}
assert frozenset(_SAFE_BUILTINS) == SAFE_BUILTIN_NAMES

# Harmless extras for hosts that whitelist them (MAKO_TEMPLATE_NAME_EXTRA_WHITELIST / mode off); several
# are shield words by default and then stay None.
_EXTRA_BUILTINS: Dict[str, Any] = {
    "hex": hex,
    "oct": oct,
    "bin": bin,
    "ord": ord,
    "chr": chr,
    "divmod": builtins.divmod,
    "repr": safe_repr,
    "ascii": safe_ascii,
    "frozenset": frozenset,
}


@lru_cache(maxsize=64)
def sandbox_names(options: SandboxOptions) -> Tuple[Dict[str, Any], FrozenSet[int]]:
    """Names visible after the context: builtins, then shield words (None), then injected modules.

    Returns:
        The name table and the ids of the injected module objects (the only modules a template may touch).
    """
    names: Dict[str, Any] = dict(_EXTRA_BUILTINS)
    names.update(_SAFE_BUILTINS)
    names.update(dict.fromkeys(options.shield_words))
    roots, module_ids = load_import_modules(options.import_modules)
    names.update(roots)
    return names, module_ids


def lookup(name: str, context: Any, names: Dict[str, Any]) -> Any:
    """Resolve a free name: context first (like Mako's ``context.get``), then the sandbox table."""
    if name in context:
        return context[name]
    value = names.get(name, _MISSING)
    if value is _MISSING:
        raise NameError(f"name {name!r} is not defined")
    return value
