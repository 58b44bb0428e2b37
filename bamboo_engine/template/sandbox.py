"""Run-time fences of the template evaluator: work budget, size limits, attribute and call policy.

The static check (:mod:`bamboo_engine.utils.mako_safety`) already refuses private, dunder and dangerous
attribute names. These checks run on the actual objects: builtin values expose only an allow-list of
methods, nothing may hand out a module that was not injected, a frame or code object, or a dangerous
builtin, and every operation that can grow memory or time is bounded before it runs.
"""

import re
import types
from typing import Any, Callable, Dict, FrozenSet, Optional, Tuple

from bamboo_engine.utils.mako_safety import FORBIDDEN_TEMPLATE_METHODS, TemplateSandboxError

MAX_OUTPUT_SIZE = 1_000_000  # characters of a rendered fragment / weight of any value we build
MAX_INT_BITS = 64 * 1024
MAX_WORK = 5_000_000  # work units per fragment: STEP_COST per operation plus the sizes it touches
STEP_COST = 20  # an interpreted operation costs far more than one element touched in C
LAMBDA_CALL_COST = 4 * STEP_COST
MAX_CALL_DEPTH = 32  # nested lambda calls
MAX_ROUND_DIGITS = 1000


class SandboxLimitError(TemplateSandboxError):
    """A fragment exceeded a work, size or recursion limit."""


class Budget:
    """Work units left for one fragment evaluation, shared by every lambda it creates."""

    __slots__ = ("remaining", "depth")

    def __init__(self, units: int = MAX_WORK) -> None:
        self.remaining = units
        self.depth = 0

    def spend(self, units: int) -> None:
        self.remaining -= units
        if self.remaining < 0:
            raise SandboxLimitError("template used too much work")


# ------------------------------------------------------------------------------------------------ sizes

_SEQUENCE_TYPES = (list, tuple, set, frozenset)


def weight(value: Any, limit: int = MAX_OUTPUT_SIZE) -> int:
    """Approximate size of ``str(value)``, counting shared references every time; stops above ``limit``."""
    if type(value) is str:
        return len(value) + 1
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item) + 1
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 1
        elif isinstance(item, dict):
            total += 1 + 2 * len(item)
            if total <= limit:
                stack.extend(dict.keys(item))
                stack.extend(dict.values(item))
        elif isinstance(item, _SEQUENCE_TYPES):
            total += 1 + len(item)
            if total <= limit:
                stack.extend(item)
        else:
            total += 1
        if total > limit:
            return total
    return total


_SIZED_TYPES = frozenset({str, bytes, list, tuple, dict, set, frozenset, range})
_SCALAR_TYPES = frozenset({bool, float, type(None), complex})


def shallow_size(value: Any) -> int:
    """Length of builtin sized values (what a C-level operation on them may touch), else 0."""
    if type(value) in _SIZED_TYPES or isinstance(value, str | bytes | list | tuple | dict | set | frozenset):
        return len(value)
    return 0


def check_result(value: Any, budget: Budget) -> Any:
    """Charge the size of a freshly built value and refuse it when it is too big."""
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        if value.bit_length() > MAX_INT_BITS:
            raise SandboxLimitError("integer result is too large")
        return value
    if isinstance(value, str | bytes):
        size = len(value)
    elif isinstance(value, list | tuple | dict | set | frozenset):
        size = weight(value)
    else:
        return value
    budget.spend(size)
    if size > MAX_OUTPUT_SIZE:
        raise SandboxLimitError(f"result of size {size} exceeds {MAX_OUTPUT_SIZE}")
    return value


def require_size(size: int, what: str) -> None:
    if size > MAX_OUTPUT_SIZE:
        raise SandboxLimitError(f"{what} would be too large ({size})")


# ------------------------------------------------------------------------------------ attribute policy

_INT_ATTRS = frozenset(
    "as_integer_ratio bit_count bit_length conjugate denominator imag is_integer numerator real "
    "to_bytes".split()
)
_ATTRIBUTE_ALLOW_LIST: Dict[type, FrozenSet[str]] = {
    str: frozenset(
        "capitalize casefold center count encode endswith expandtabs find index isalnum isalpha isascii "
        "isdecimal isdigit isidentifier islower isnumeric isprintable isspace istitle isupper join ljust "
        "lower lstrip partition removeprefix removesuffix replace rfind rindex rjust rpartition rsplit "
        "rstrip split splitlines startswith strip swapcase title upper zfill".split()
    ),
    bytes: frozenset(
        "count decode endswith find hex index isalnum isalpha isascii isdigit islower isspace istitle "
        "isupper lower lstrip partition rfind rindex rpartition rsplit rstrip split splitlines startswith "
        "strip upper".split()
    ),
    bool: _INT_ATTRS,
    int: _INT_ATTRS,
    float: frozenset("as_integer_ratio conjugate hex imag is_integer real".split()),
    complex: frozenset("conjugate imag real".split()),
    list: frozenset({"copy", "count", "index"}),
    tuple: frozenset({"count", "index"}),
    dict: frozenset({"copy", "get", "items", "keys", "values"}),
    set: frozenset(
        "copy difference intersection isdisjoint issubset issuperset symmetric_difference union".split()
    ),
    frozenset: frozenset(
        "copy difference intersection isdisjoint issubset issuperset symmetric_difference union".split()
    ),
    range: frozenset({"count", "index", "start", "step", "stop"}),
    type(None): frozenset(),
}
_FORBIDDEN_RESULT_TYPES = (types.FrameType, types.CodeType, types.TracebackType)


def get_attribute(obj: Any, name: str, module_ids: FrozenSet[int]) -> Any:
    """``obj.name`` under the sandbox policy (the name already passed the static check)."""
    allowed = _ATTRIBUTE_ALLOW_LIST.get(type(obj))
    if allowed is not None:
        if name not in allowed:
            raise TemplateSandboxError(f"attribute {name!r} of {type(obj).__name__} is not allowed")
        return getattr(obj, name)
    if isinstance(obj, type) and obj.__module__ == "builtins":
        raise TemplateSandboxError(f"attributes of builtin type {obj.__name__} are not allowed")
    for base, base_allowed in _ATTRIBUTE_ALLOW_LIST.items():
        # Subclasses (FancyDict, str enums) may add their own attributes but not reopen refused methods.
        if isinstance(obj, base) and name not in base_allowed and hasattr(base, name):
            raise TemplateSandboxError(f"attribute {name!r} of {type(obj).__name__} is not allowed")
    value = getattr(obj, name)
    check_reachable(value, module_ids)
    return value


def check_reachable(value: Any, module_ids: FrozenSet[int]) -> None:
    """Refuse handing out modules that were not injected, interpreter internals and dangerous builtins."""
    if isinstance(value, types.ModuleType) and id(value) not in module_ids:
        raise TemplateSandboxError(f"module {value.__name__} is not available to templates")
    if isinstance(value, _FORBIDDEN_RESULT_TYPES):
        raise TemplateSandboxError("interpreter internals are not available to templates")
    if isinstance(value, types.BuiltinFunctionType | type) and _is_denied_callable(value):
        raise TemplateSandboxError(f"{value!r} is not available to templates")


# ----------------------------------------------------------------------------------------- call policy

_DENIED_BUILTIN_NAMES = (
    "eval exec compile open __import__ getattr setattr delattr vars globals locals dir breakpoint input "
    "help print type super memoryview bytearray classmethod staticmethod property format iter next "
    "object id hash exit quit"
).split()
_BUILTINS: Dict[str, Any] = __builtins__ if isinstance(__builtins__, dict) else vars(__builtins__)
_DENIED_CALLABLES = frozenset(id(_BUILTINS[name]) for name in _DENIED_BUILTIN_NAMES if name in _BUILTINS)
_BUILTIN_METHOD_TYPES = (
    types.BuiltinMethodType,
    types.MethodDescriptorType,
    types.ClassMethodDescriptorType,
    types.WrapperDescriptorType,
    types.MethodWrapperType,
)


def _is_denied_callable(value: Any) -> bool:
    return id(value) in _DENIED_CALLABLES


Guard = Callable[[Any, tuple, dict], tuple]


def resolve_call(func: Any, args: tuple, kwargs: dict, redirects: Dict[type, Any]) -> Tuple[Any, tuple]:
    """Return the callable to actually call and its (possibly materialised) positional arguments.

    Raises:
        TemplateSandboxError: the callable is refused, or a guard predicts an oversized result.
    """
    if isinstance(func, type):
        redirect = redirects.get(func)
        if redirect is not None:
            return redirect, args
    if _is_denied_callable(func):
        raise TemplateSandboxError(f"calling {func!r} is not allowed")
    if isinstance(func, _BUILTIN_METHOD_TYPES):
        name = func.__name__
        if name in FORBIDDEN_TEMPLATE_METHODS:
            raise TemplateSandboxError(f"calling {name!r} is not allowed")
        guard, self_obj, rest, bound = _find_guard(func, name, args)
        if guard is not None:
            rest = guard(self_obj, rest, kwargs)
            args = rest if bound else (self_obj,) + rest
        return func, args
    if (
        isinstance(func, types.FunctionType | types.MethodType)
        and func.__name__ in FORBIDDEN_TEMPLATE_METHODS
    ):
        raise TemplateSandboxError(f"calling {func.__name__!r} is not allowed")
    return func, args


def _find_guard(func: Any, name: str, args: tuple) -> Tuple[Optional[Guard], Any, tuple, bool]:
    """The size guard for a str/bytes/int method, its instance, the remaining args, and boundness."""
    owner_instance = getattr(func, "__self__", None)
    if owner_instance is not None and not isinstance(owner_instance, type | types.ModuleType):
        self_obj, rest, bound = owner_instance, args, True
    elif args and isinstance(getattr(func, "__objclass__", None), type):
        self_obj, rest, bound = args[0], args[1:], False
    else:
        return None, None, args, True
    for base in (str, bytes, int):
        if isinstance(self_obj, base):
            return _GUARDS.get((base, name)), self_obj, rest, bound
    return None, self_obj, rest, bound


def _guard_width(self_obj: Any, args: tuple, kwargs: dict) -> tuple:
    width = args[0] if args else kwargs.get("width", 0)
    if isinstance(width, int):
        require_size(width, "padded string")
    return args


def _guard_replace(self_obj: Any, args: tuple, kwargs: dict) -> tuple:
    if len(args) >= 2 and isinstance(args[0], type(self_obj)) and isinstance(args[1], type(self_obj)):
        old, new = args[0], args[1]
        count = self_obj.count(old) if old else len(self_obj) + 1
        if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
            count = min(count, args[2])
        require_size(len(self_obj) + count * max(len(new) - len(old), 0), "replaced string")
    return args


def _guard_expandtabs(self_obj: Any, args: tuple, kwargs: dict) -> tuple:
    tabsize = args[0] if args else kwargs.get("tabsize", 8)
    if isinstance(tabsize, int):
        tab = "\t" if isinstance(self_obj, str) else b"\t"
        require_size(len(self_obj) + self_obj.count(tab) * max(tabsize, 0), "expanded string")
    return args


def _guard_join(self_obj: Any, args: tuple, kwargs: dict) -> tuple:
    if not args:
        return args
    items = args[0] if isinstance(args[0], list | tuple) else list(_bounded_iter(args[0]))
    total = len(self_obj) * max(len(items) - 1, 0)
    for item in items:
        total += len(item) if isinstance(item, str | bytes) else 0
        require_size(total, "joined string")
    return (items,) + args[1:]


def _guard_to_bytes(self_obj: Any, args: tuple, kwargs: dict) -> tuple:
    length = args[0] if args else kwargs.get("length", 1)
    if isinstance(length, int):
        require_size(length, "byte string")
    return args


def _bounded_iter(iterable: Any):
    for count, item in enumerate(iterable):
        if count > MAX_OUTPUT_SIZE:
            raise SandboxLimitError("iterable is too long")
        yield item


_GUARDS: Dict[Tuple[type, str], Guard] = {
    **{
        (owner, name): _guard_width
        for owner in (str, bytes)
        for name in ("center", "ljust", "rjust", "zfill")
    },
    (str, "replace"): _guard_replace,
    (bytes, "replace"): _guard_replace,
    (str, "expandtabs"): _guard_expandtabs,
    (bytes, "expandtabs"): _guard_expandtabs,
    (str, "join"): _guard_join,
    (bytes, "join"): _guard_join,
    (int, "to_bytes"): _guard_to_bytes,
}


# ------------------------------------------------------------------------------------------ operators

_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d*)(?:\.(\*|\d*))?[hlL]?(.)", re.S)


def check_percent_format(template: Any, args: Any) -> None:
    """Bound ``"%10s" % x`` style formatting before it allocates."""
    text = template if isinstance(template, str) else template.decode("latin-1")
    specs = _PERCENT_SPEC.findall(text)
    if not specs:
        return
    widths = 0
    for width, precision, _ in specs:
        if width == "*" or precision == "*":
            raise TemplateSandboxError("'*' widths are not allowed in % formatting")
        widths += int(width or 0) + int(precision or 0)
    require_size(len(text) + widths + len(specs) * weight(args), "%-formatted string")


def check_repetition(sequence: Any, times: Any) -> None:
    if isinstance(times, int) and isinstance(sequence, str | bytes | list | tuple):
        require_size(weight(sequence) * max(times, 0), "repeated sequence")


def check_power(base: Any, exponent: Any) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        # bit_length * exponent bounds the result size without computing it.
        require_bits(base.bit_length() * exponent, "power result")


def check_shift(value: Any, amount: Any) -> None:
    if isinstance(value, int) and isinstance(amount, int) and value and amount > 0:
        require_bits(value.bit_length() + amount, "shift result")


def require_bits(bits: int, what: str) -> None:
    if bits > MAX_INT_BITS:
        raise SandboxLimitError(f"{what} would be too large ({bits} bits)")


def bounded_items(iterable: Any, budget: Budget) -> list:
    """Materialise ``*iterable`` in a call or display, spending budget per item."""
    items = []
    for count, item in enumerate(iterable):
        if count >= MAX_OUTPUT_SIZE:
            raise SandboxLimitError("unpacked iterable is too long")
        budget.spend(1)
        items.append(item)
    return items
