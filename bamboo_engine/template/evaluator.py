"""Our own evaluator for checked template expressions: the AST is compiled once into Python closures.

Nothing is ever passed to ``eval``/``exec``/Mako. Each closure takes the per-evaluation :class:`Runtime`
and the local scope (lambda parameters and comprehension variables), so a compiled fragment is immutable
and shared between threads through an LRU cache.
"""

import ast
import operator
import types
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Sequence, Tuple

from bamboo_engine.template import sandbox
from bamboo_engine.template.safe_builtins import TYPE_REDIRECTS, lookup
from bamboo_engine.utils.mako_safety import TemplateSandboxError

Scope = Dict[str, Any]
Evaluator = Callable[["Runtime", Scope], Any]


class Runtime:
    """Per-evaluation state: the context, the sandbox names, the injected module ids and the budget."""

    __slots__ = ("context", "names", "module_ids", "budget")

    def __init__(self, context: Mapping[str, Any], names: Dict[str, Any], module_ids: FrozenSet[int]) -> None:
        self.context = context
        self.names = names
        self.module_ids = module_ids
        self.budget = sandbox.Budget()

    def call(self, func: Any, args: tuple, kwargs: dict) -> Any:
        touched = sandbox.shallow_size(func.__self__) if isinstance(func, types.BuiltinMethodType) else 0
        for arg in args:
            touched += sandbox.shallow_size(arg)
        self.budget.spend(sandbox.STEP_COST + touched)
        target, args = sandbox.resolve_call(func, args, kwargs, TYPE_REDIRECTS)
        if isinstance(target, _NATIVE_CALLABLES):
            args, kwargs = self._guard_callbacks(args, kwargs)
        result = target(*args, **kwargs)
        sandbox.check_reachable(result, self.module_ids)
        return sandbox.check_result(result, self.budget)

    def _guard_callbacks(self, args: tuple, kwargs: dict) -> Tuple[tuple, dict]:
        """Callables handed to native code (``sorted(key=...)``) must still pass the call policy."""
        if any(_needs_guard(arg) for arg in args):
            args = tuple(GuardedCallable(self, arg) if _needs_guard(arg) else arg for arg in args)
        if kwargs and any(_needs_guard(value) for value in kwargs.values()):
            kwargs = {k: GuardedCallable(self, v) if _needs_guard(v) else v for k, v in kwargs.items()}
        return args, kwargs


# Native code calls the callables it is given directly (sorted's key, max's key), bypassing Runtime.call.
_NATIVE_CALLABLES = (
    types.BuiltinFunctionType,
    types.BuiltinMethodType,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    types.MethodWrapperType,
    type,
)


def _needs_guard(value: Any) -> bool:
    return callable(value) and not isinstance(value, SandboxLambda | GuardedCallable)


class GuardedCallable:
    """Wraps a callable passed as an argument so that native code calling it goes through the policy."""

    __slots__ = ("_runtime", "_func")

    def __init__(self, runtime: Runtime, func: Any) -> None:
        self._runtime = runtime
        self._func = func

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._runtime.call(self._func, args, kwargs)

    def __repr__(self) -> str:
        return repr(self._func)


class SandboxLambda:
    """A template ``lambda``: evaluates its body in our evaluator, never as Python bytecode."""

    __slots__ = ("_runtime", "_scope", "_params", "_defaults", "_body")

    def __init__(self, runtime: Runtime, scope: Scope, params: List[str], defaults: list, body: Evaluator):
        self._runtime = runtime
        self._scope = scope
        self._params = params
        self._defaults = defaults
        self._body = body

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        params = self._params
        if len(args) > len(params):
            raise TypeError("<lambda> got too many positional arguments")
        scope = dict(self._scope)
        scope.update(zip(params, args, strict=False))
        first_default = len(params) - len(self._defaults)
        for index in range(len(args), len(params)):
            name = params[index]
            if name in kwargs:
                scope[name] = kwargs.pop(name)
            elif index >= first_default:
                scope[name] = self._defaults[index - first_default]
            else:
                raise TypeError(f"<lambda> missing argument {name!r}")
        if kwargs:
            raise TypeError(f"<lambda> got unexpected arguments {sorted(kwargs)}")
        budget = self._runtime.budget
        if budget.depth >= sandbox.MAX_CALL_DEPTH:
            raise sandbox.SandboxLimitError("lambda recursion is too deep")
        budget.depth += 1
        try:
            budget.spend(sandbox.LAMBDA_CALL_COST)
            return self._body(self._runtime, scope)
        finally:
            budget.depth -= 1

    def __repr__(self) -> str:
        return "<lambda>"


# ------------------------------------------------------------------------------------------- compiler


def compile_expression(tree: ast.Expression) -> Evaluator:
    """Compile a safety-checked expression tree; unknown node types raise (defence in depth)."""
    return _compile(tree.body, frozenset())


def _compile(node: ast.AST, bound: FrozenSet[str]) -> Evaluator:
    compiler = _COMPILERS.get(type(node))
    if compiler is None:
        raise TemplateSandboxError(f"{type(node).__name__} is not supported in templates")
    return compiler(node, bound)


def _compile_all(nodes: Sequence[ast.AST], bound: FrozenSet[str]) -> List[Evaluator]:
    return [_compile(node, bound) for node in nodes]


def _constant(node: ast.Constant, bound: FrozenSet[str]) -> Evaluator:
    value = node.value
    return lambda runtime, scope: value


def _joined_str(node: ast.JoinedStr, bound: FrozenSet[str]) -> Evaluator:
    value = "".join(str(part.value) for part in node.values if isinstance(part, ast.Constant))
    return lambda runtime, scope: value


def _name(node: ast.Name, bound: FrozenSet[str]) -> Evaluator:
    name = node.id
    if name in bound:
        return lambda runtime, scope: scope[name]

    def evaluate(runtime: Runtime, scope: Scope) -> Any:
        value = lookup(name, runtime.context, runtime.names)
        # Context values get the same scrutiny as attributes: no stray modules or dangerous builtins.
        sandbox.check_reachable(value, runtime.module_ids)
        return value

    return evaluate


def _attribute(node: ast.Attribute, bound: FrozenSet[str]) -> Evaluator:
    target, attr = _compile(node.value, bound), node.attr

    def evaluate(runtime: Runtime, scope: Scope) -> Any:
        runtime.budget.spend(sandbox.STEP_COST)
        return sandbox.get_attribute(target(runtime, scope), attr, runtime.module_ids)

    return evaluate


def _subscript(node: ast.Subscript, bound: FrozenSet[str]) -> Evaluator:
    target, key = _compile(node.value, bound), _compile(node.slice, bound)

    def evaluate(runtime: Runtime, scope: Scope) -> Any:
        obj = target(runtime, scope)
        runtime.budget.spend(sandbox.STEP_COST)
        result = obj[key(runtime, scope)]
        sandbox.check_reachable(result, runtime.module_ids)
        return (
            sandbox.check_result(result, runtime.budget) if isinstance(result, str | bytes | list) else result
        )

    return evaluate


def _slice(node: ast.Slice, bound: FrozenSet[str]) -> Evaluator:
    parts = [None if part is None else _compile(part, bound) for part in (node.lower, node.upper, node.step)]
    return lambda runtime, scope: slice(*(None if p is None else p(runtime, scope) for p in parts))


def _call(node: ast.Call, bound: FrozenSet[str]) -> Evaluator:
    func = _compile(node.func, bound)
    args = _compile_sequence(node.args, bound)
    keywords = [(kw.arg, _compile(kw.value, bound)) for kw in node.keywords]

    def evaluate(runtime: Runtime, scope: Scope) -> Any:
        callee = func(runtime, scope)
        kwargs: Dict[str, Any] = {}
        for name, value in keywords:
            if name is None:
                kwargs.update(value(runtime, scope))
            else:
                kwargs[name] = value(runtime, scope)
        return runtime.call(callee, tuple(args(runtime, scope)), kwargs)

    return evaluate


def _compile_sequence(nodes: Sequence[ast.expr], bound: FrozenSet[str]) -> Callable[[Runtime, Scope], list]:
    """Elements of a call or display; ``*x`` entries are expanded."""
    parts: List[Tuple[bool, Evaluator]] = [
        (True, _compile(n.value, bound)) if isinstance(n, ast.Starred) else (False, _compile(n, bound))
        for n in nodes
    ]

    def evaluate(runtime: Runtime, scope: Scope) -> list:
        values: list = []
        for starred, part in parts:
            if starred:
                values.extend(sandbox.bounded_items(part(runtime, scope), runtime.budget))
            else:
                values.append(part(runtime, scope))
        return values

    return evaluate


_BINARY: Dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
    ast.LShift: operator.lshift, ast.RShift: operator.rshift, ast.BitOr: operator.or_,
    ast.BitXor: operator.xor, ast.BitAnd: operator.and_,
}  # fmt: skip


def _binop(node: ast.BinOp, bound: FrozenSet[str]) -> Evaluator:
    left, right, op_type = _compile(node.left, bound), _compile(node.right, bound), type(node.op)
    apply = _BINARY[op_type]

    def evaluate(runtime: Runtime, scope: Scope) -> Any:
        a, b = left(runtime, scope), right(runtime, scope)
        runtime.budget.spend(sandbox.STEP_COST + sandbox.shallow_size(a) + sandbox.shallow_size(b))
        _check_binop(op_type, a, b)
        return sandbox.check_result(apply(a, b), runtime.budget)

    return evaluate


def _check_binop(op_type: type, a: Any, b: Any) -> None:
    if op_type is ast.Mult:
        sandbox.check_repetition(a, b)
        sandbox.check_repetition(b, a)
    elif op_type is ast.Pow:
        sandbox.check_power(a, b)
    elif op_type is ast.LShift:
        sandbox.check_shift(a, b)
    elif op_type is ast.Mod and isinstance(a, str | bytes):
        sandbox.check_percent_format(a, b)


_UNARY: Dict[type, Callable[[Any], Any]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
    ast.Not: operator.not_,
    ast.Invert: operator.invert,
}


def _unaryop(node: ast.UnaryOp, bound: FrozenSet[str]) -> Evaluator:
    operand, apply = _compile(node.operand, bound), _UNARY[type(node.op)]
    return lambda runtime, scope: apply(operand(runtime, scope))


def _boolop(node: ast.BoolOp, bound: FrozenSet[str]) -> Evaluator:
    values = _compile_all(node.values, bound)
    is_and = isinstance(node.op, ast.And)

    def evaluate(runtime: Runtime, scope: Scope) -> Any:
        result = None
        for value in values:
            result = value(runtime, scope)
            if bool(result) != is_and:
                return result
        return result

    return evaluate


_COMPARE: Dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}  # fmt: skip


def _compare(node: ast.Compare, bound: FrozenSet[str]) -> Evaluator:
    first = _compile(node.left, bound)
    rest = [
        (_COMPARE[type(op)], _compile(value, bound))
        for op, value in zip(node.ops, node.comparators, strict=False)
    ]

    def evaluate(runtime: Runtime, scope: Scope) -> Any:
        left = first(runtime, scope)
        result: Any = True
        for apply, value in rest:
            right = value(runtime, scope)
            runtime.budget.spend(sandbox.STEP_COST + sandbox.shallow_size(left) + sandbox.shallow_size(right))
            result = apply(left, right)
            if not result:
                return result
            left = right
        return result

    return evaluate


def _ifexp(node: ast.IfExp, bound: FrozenSet[str]) -> Evaluator:
    test, body, orelse = _compile(node.test, bound), _compile(node.body, bound), _compile(node.orelse, bound)
    return lambda runtime, scope: body(runtime, scope) if test(runtime, scope) else orelse(runtime, scope)


def _display(factory: Callable[[list], Any]) -> Callable[[Any, FrozenSet[str]], Evaluator]:
    def compile_display(node: Any, bound: FrozenSet[str]) -> Evaluator:
        elements = _compile_sequence(node.elts, bound)
        return lambda runtime, scope: sandbox.check_result(factory(elements(runtime, scope)), runtime.budget)

    return compile_display


def _dict(node: ast.Dict, bound: FrozenSet[str]) -> Evaluator:
    items = [
        (None if k is None else _compile(k, bound), _compile(v, bound))
        for k, v in zip(node.keys, node.values, strict=False)
    ]

    def evaluate(runtime: Runtime, scope: Scope) -> Any:
        result: Dict[Any, Any] = {}
        for key, value in items:
            if key is None:
                result.update(value(runtime, scope))
            else:
                result[key(runtime, scope)] = value(runtime, scope)
        return sandbox.check_result(result, runtime.budget)

    return evaluate


def _lambda(node: ast.Lambda, bound: FrozenSet[str]) -> Evaluator:
    params = [arg.arg for arg in node.args.args]
    defaults = _compile_all(node.args.defaults, bound)
    body = _compile(node.body, bound | frozenset(params))
    return lambda runtime, scope: SandboxLambda(
        runtime, scope, params, [d(runtime, scope) for d in defaults], body
    )


_COMPILERS: Dict[type, Callable[[Any, FrozenSet[str]], Evaluator]] = {
    ast.Constant: _constant,
    ast.JoinedStr: _joined_str,
    ast.Name: _name,
    ast.Attribute: _attribute,
    ast.Subscript: _subscript,
    ast.Slice: _slice,
    ast.Call: _call,
    ast.BinOp: _binop,
    ast.UnaryOp: _unaryop,
    ast.BoolOp: _boolop,
    ast.Compare: _compare,
    ast.IfExp: _ifexp,
    ast.List: _display(list),
    ast.Tuple: _display(tuple),
    ast.Set: _display(set),
    ast.Dict: _dict,
    ast.Lambda: _lambda,
}


def _register_comprehensions() -> None:
    # Imported late: the comprehension module needs _compile from this one.
    from bamboo_engine.template import comprehension

    _COMPILERS.update(comprehension.compilers(_compile))


_register_comprehensions()
