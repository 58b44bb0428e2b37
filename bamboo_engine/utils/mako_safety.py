"""Static safety rules for ``${...}`` template fragments.

Templates are hostile user input. A fragment is parsed with :mod:`ast` (``mode="eval"``) and accepted only
if every node is on an explicit allow-list and no name, attribute or string subscript key can reach
interpreter internals. The checked expression is then run by our own evaluator
(:mod:`bamboo_engine.template.evaluator`), never by ``eval`` or Mako, so these rules are the first of two
fences: the evaluator re-checks attributes and calls at run time.
"""

import ast
import io
import logging
import re
import tokenize
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Tuple

from bamboo_engine.config import Settings
from bamboo_engine.exceptions import EngineException

logger = logging.getLogger("bamboo_engine")

SAFE_BUILTIN_NAMES = frozenset(
    {
        "True", "False", "None", "bool", "int", "float", "str", "list", "tuple", "dict", "set", "abs",
        "round", "pow", "sum", "min", "max", "len", "range", "slice", "enumerate", "zip", "sorted",
        "reversed", "all", "any",
    }
)  # fmt: skip
MAKO_RESERVED_NAMESPACES = frozenset(
    {"self", "context", "local", "parent", "next", "caller", "pageargs", "UNDEFINED", "STOP_RENDERING"}
)
DANGEROUS_ATTR_NAMES = frozenset(
    {
        "os", "sys", "subprocess", "shutil", "ctypes", "socket", "_thread", "threading", "builtins",
        "__builtins__", "modules", "popen", "popen2", "popen3", "popen4", "system", "spawnl", "spawnle",
        "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe", "execl", "execle", "execlp",
        "execlpe", "execv", "execve", "execvp", "execvpe", "fork", "forkpty", "kill",
    }
)  # fmt: skip
FRAME_INTROSPECTION_ATTRS = frozenset(
    {
        "gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "cr_code", "cr_await", "cr_origin", "ag_frame",
        "ag_code", "ag_await", "f_back", "f_builtins", "f_globals", "f_locals", "f_code", "f_trace",
        "tb_frame", "tb_next", "func_globals", "func_code", "func_closure", "func_builtins",
    }
)  # fmt: skip
FORBIDDEN_TEMPLATE_METHODS = frozenset({"format", "format_map"})
SAFE_FILTERS = frozenset({"n", "h", "x", "u", "trim", "entity", "unicode", "str"})

WHITELIST_MODES = ("enforce", "warn", "off")
MAX_FRAGMENT_LENGTH = 4096
MAX_EXPRESSION_DEPTH = 64
MAX_EXPRESSION_NODES = 1000

_ALLOWED_NODES = frozenset(
    {
        ast.Expression, ast.Constant, ast.Name, ast.Load, ast.Store, ast.Attribute, ast.Subscript,
        ast.Slice, ast.Call, ast.keyword, ast.Starred, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare,
        ast.IfExp, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.ListComp, ast.SetComp, ast.DictComp,
        ast.GeneratorExp, ast.comprehension, ast.Lambda, ast.arguments, ast.arg, ast.JoinedStr,
        ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.LShift, ast.RShift,
        ast.BitOr, ast.BitXor, ast.BitAnd, ast.UAdd, ast.USub, ast.Not, ast.Invert, ast.And, ast.Or,
        ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn,
    }
)  # fmt: skip
_CODEC_FILTER = re.compile(r"decode\.[A-Za-z0-9][A-Za-z0-9_]*")
_ALLOWED_CONSTANT_TYPES = (str, bytes, int, float, complex, bool, type(None))


class TemplateSandboxError(EngineException):
    """A template fragment was refused or stopped by the sandbox (the fragment stays unrendered)."""


@dataclass(frozen=True)
class ParsedFragment:
    """A ``${...}`` fragment split into its Python expression and its Mako filters.

    Attributes:
        expression: the parsed expression (``ast.Expression``), not yet safety-checked.
        filters: filter names after ``|``, in order (``("h",)`` for ``${x | h}``).
        free_names: names the expression reads that no lambda or comprehension binds.
    """

    expression: ast.Expression
    filters: Tuple[str, ...]
    free_names: FrozenSet[str]


@dataclass(frozen=True)
class SandboxOptions:
    """A snapshot of the sandbox settings; hashable and picklable so worker processes can use it."""

    whitelist_mode: str = "enforce"
    extra_whitelist: FrozenSet[str] = frozenset()
    shield_words: FrozenSet[str] = frozenset()
    import_modules: Tuple[Tuple[str, str], ...] = ()
    alias_roots: FrozenSet[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        roots = frozenset(alias.split(".", 1)[0] for _, alias in self.import_modules)
        object.__setattr__(self, "alias_roots", roots)


_OPTIONS_CACHE: Dict[tuple, SandboxOptions] = {}


def current_sandbox_options() -> SandboxOptions:
    """Read :class:`~bamboo_engine.config.Settings` now (the host may change it at any time).

    Equal settings give the same (cached) object, which keeps the per-render cost to a few tuple builds.
    """
    modules = Settings.MAKO_SANDBOX_IMPORT_MODULES or {}
    key = (
        str(Settings.MAKO_TEMPLATE_NAME_WHITELIST_MODE),
        tuple(Settings.MAKO_TEMPLATE_NAME_EXTRA_WHITELIST or ()),
        tuple(Settings.MAKO_SANDBOX_SHIELD_WORDS or ()),
        tuple(modules.items()),
    )
    options = _OPTIONS_CACHE.get(key)
    if options is None:
        if len(_OPTIONS_CACHE) > 64:
            _OPTIONS_CACHE.clear()
        options = _OPTIONS_CACHE[key] = SandboxOptions(
            whitelist_mode=key[0],
            extra_whitelist=frozenset(key[1]),
            shield_words=frozenset(key[2]),
            import_modules=tuple(sorted((str(path), str(alias)) for path, alias in key[3])),
        )
    return options


# ------------------------------------------------------------------------------------------- parsing


@lru_cache(maxsize=4096)
def parse_fragment(fragment: str) -> ParsedFragment:
    """Parse ``${expr | filters}`` (Mako's syntax) without judging it.

    Raises:
        TemplateSandboxError: the fragment is too long, too deep, or not a Python expression.
    """
    if not (fragment.startswith("${") and fragment.endswith("}")):
        raise TemplateSandboxError(f"{fragment!r} is not a ${{...}} fragment")
    if len(fragment) > MAX_FRAGMENT_LENGTH:
        raise TemplateSandboxError(f"fragment longer than {MAX_FRAGMENT_LENGTH} characters")
    text, filters = _split_filters(fragment[2:-1])
    tree = _parse_expression(text.strip(), fragment)
    _check_shape(tree)
    return ParsedFragment(tree, filters, frozenset(_FreeNames().collect(tree)))


def _parse_expression(text: str, fragment: str) -> ast.Expression:
    try:
        return ast.parse(text, mode="eval")
    except SyntaxError as err:
        if "\n" not in text:
            raise TemplateSandboxError(f"fragment {fragment!r} is not an expression: {err}") from None
    except (ValueError, RecursionError, MemoryError) as err:
        raise TemplateSandboxError(f"fragment {fragment!r} is not an expression: {err}") from None
    # Mako writes the expression inside a call, so line breaks outside brackets are fine there.
    try:
        return ast.parse(f"({text})", mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        raise TemplateSandboxError(f"fragment {fragment!r} is not an expression: {err}") from None


def _split_filters(text: str) -> Tuple[str, Tuple[str, ...]]:
    """Split at the first ``|`` outside brackets and strings, the way Mako's lexer does."""
    depth = 0
    line_starts = _line_starts(text)
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type != tokenize.OP:
                continue
            if token.string in "([":
                depth += 1
            elif token.string in ")]":
                depth -= 1
            elif token.string == "|" and depth == 0:
                row, col = token.start
                offset = line_starts[row - 1] + col
                filters = tuple(name.strip() for name in text[offset + 1 :].split(","))
                return text[:offset], filters
    except (tokenize.TokenError, SyntaxError) as err:
        raise TemplateSandboxError(f"fragment text cannot be tokenized: {err}") from None
    return text, ()


def _line_starts(text: str) -> List[int]:
    starts, position = [], 0
    for line in text.splitlines(keepends=True) or [""]:
        starts.append(position)
        position += len(line)
    starts.append(position)
    return starts


def _check_shape(tree: ast.AST) -> None:
    """Bound depth and size iteratively, before anything walks the tree recursively."""
    stack = [(tree, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_EXPRESSION_DEPTH or count > MAX_EXPRESSION_NODES:
            raise TemplateSandboxError("expression is too deeply nested or too large")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


class _FreeNames:
    """Names read by an expression that no enclosing lambda or comprehension binds."""

    def __init__(self) -> None:
        self.names: List[str] = []

    def collect(self, node: ast.AST) -> List[str]:
        self._visit(node, frozenset())
        return self.names

    def _visit(self, node: ast.AST, bound: FrozenSet[str]) -> None:
        if isinstance(node, ast.Name):
            if node.id not in bound:
                self.names.append(node.id)
        elif isinstance(node, ast.Lambda):
            for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
                self._visit(default, bound)
            params = {a.arg for a in node.args.args + node.args.posonlyargs + node.args.kwonlyargs}
            params |= {a.arg for a in (node.args.vararg, node.args.kwarg) if a is not None}
            self._visit(node.body, bound | params)
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            self._visit_comprehension(node, bound)
        else:
            for child in ast.iter_child_nodes(node):
                self._visit(child, bound)

    def _visit_comprehension(self, node: Any, bound: FrozenSet[str]) -> None:
        inner = bound
        for index, generator in enumerate(node.generators):
            # The first iterable is evaluated in the enclosing scope, the rest see earlier targets.
            self._visit(generator.iter, bound if index == 0 else inner)
            inner = inner | {n.id for n in ast.walk(generator.target) if isinstance(n, ast.Name)}
            for condition in generator.ifs:
                self._visit(condition, inner)
        for part in (node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,):
            self._visit(part, inner)


# ------------------------------------------------------------------------------------------- safety check


def check_fragment_safety(parsed: ParsedFragment) -> None:
    """Apply the static rules of the template sandbox (docs/data-and-templates.md) to a parsed fragment.

    Raises:
        TemplateSandboxError: naming the first offending construct.
    """
    for name in parsed.filters:
        _check_filter(name)
    for node in ast.walk(parsed.expression):
        if type(node) not in _ALLOWED_NODES:
            raise TemplateSandboxError(f"{type(node).__name__} is not allowed in templates")
        _check_node(node)


def _check_filter(name: str) -> None:
    if name in SAFE_FILTERS:
        return
    if _CODEC_FILTER.fullmatch(name) and "__" not in name:
        return
    raise TemplateSandboxError(f"filter {name!r} is not allowed")


def _check_node(node: ast.AST) -> None:
    if isinstance(node, ast.Name):
        check_name(node.id)
    elif isinstance(node, ast.arg):
        check_name(node.arg)
    elif isinstance(node, ast.Attribute):
        check_attribute_name(node.attr)
    elif isinstance(node, ast.keyword):
        if node.arg is not None and "__" in node.arg:
            raise TemplateSandboxError(f"keyword {node.arg!r} is not allowed")
    elif isinstance(node, ast.Constant):
        if not isinstance(node.value, _ALLOWED_CONSTANT_TYPES):
            raise TemplateSandboxError(f"constant {node.value!r} is not allowed")
    elif isinstance(node, ast.Subscript):
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str | bytes) and _has_dunder(key.value):
            raise TemplateSandboxError(f"subscript key {key.value!r} is not allowed")
    else:
        _check_construct(node)


def _check_construct(node: ast.AST) -> None:
    if isinstance(node, ast.comprehension) and node.is_async:
        raise TemplateSandboxError("async comprehensions are not allowed")
    if isinstance(node, ast.arguments) and (node.vararg or node.kwarg or node.kwonlyargs or node.posonlyargs):
        raise TemplateSandboxError("lambda may only take plain positional parameters")
    if isinstance(node, ast.JoinedStr) and not all(isinstance(v, ast.Constant) for v in node.values):
        raise TemplateSandboxError("f-string fields are not allowed")


def _has_dunder(value: Any) -> bool:
    return (b"__" if isinstance(value, bytes) else "__") in value


def check_name(name: str) -> None:
    """Refuse reserved Mako namespaces, dunder names and the names of forbidden methods."""
    if "__" in name:
        raise TemplateSandboxError(f"name {name!r} is not allowed")
    if name in MAKO_RESERVED_NAMESPACES:
        raise TemplateSandboxError(f"Mako namespace {name!r} is not allowed")
    if name in FORBIDDEN_TEMPLATE_METHODS:
        raise TemplateSandboxError(f"{name!r} is not allowed")


def check_attribute_name(attr: str) -> None:
    """Refuse private, dunder, dangerous, frame-introspection and formatting attributes."""
    if attr.startswith("_") or "__" in attr:
        raise TemplateSandboxError(f"private attribute {attr!r} is not allowed")
    if attr in DANGEROUS_ATTR_NAMES or attr in FRAME_INTROSPECTION_ATTRS:
        raise TemplateSandboxError(f"attribute {attr!r} is not allowed")
    if attr in FORBIDDEN_TEMPLATE_METHODS:
        raise TemplateSandboxError(f"method {attr!r} is not allowed")


# ------------------------------------------------------------------------------------------- whitelist


def check_whitelist(names: Iterable[str], context: Mapping[str, Any], options: SandboxOptions) -> None:
    """Every root name must be a context key, import alias, safe builtin or extra-whitelisted name.

    ``warn`` only logs; ``off`` skips the check; any other mode value is treated as ``enforce``.

    Raises:
        TemplateSandboxError: in enforce mode, listing the unknown names.
    """
    if options.whitelist_mode == "off":
        return
    unknown = [
        name
        for name in names
        if name not in context
        and name not in SAFE_BUILTIN_NAMES
        and name not in options.extra_whitelist
        and name not in options.alias_roots
    ]
    if not unknown:
        return
    unknown.sort()
    message = f"template names {unknown} are not in the context or the sandbox whitelist"
    if options.whitelist_mode == "warn":
        logger.warning("%s (whitelist mode: warn)", message)
        return
    raise TemplateSandboxError(message)
