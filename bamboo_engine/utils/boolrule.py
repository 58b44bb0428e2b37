"""boolrule: evaluate boolean condition queries such as ``a >= 90 and b in (1, 2)``.

Grammar and coercion rules are described in docs/concepts.md; the parser lives in
:mod:`bamboo_engine.utils.boolrule_grammar`.
"""

import operator as op
from collections.abc import Mapping
from typing import Any, Callable, Dict, Optional

from bamboo_engine.utils.boolrule_grammar import BoolOp, Identifier, Node, TupleValue, parse_query

__all__ = ["BoolRule", "MissingVariableException", "UnknownOperatorException"]

_MISSING = object()


class MissingVariableException(Exception):
    """An identifier path cannot be resolved against the given context."""


class UnknownOperatorException(Exception):
    """A condition uses an operator boolrule does not know."""


def _try_convert(value: Any, kind: type) -> Any:
    try:
        return kind(value)
    except (TypeError, ValueError, OverflowError):
        return value


def _coerce_scalars(lval: Any, rval: Any):
    """Align the operand types of an ordinary comparison (int first, then str)."""
    if isinstance(lval, int):
        rval = _try_convert(rval, int)
    elif isinstance(rval, int):
        lval = _try_convert(lval, int)
    if isinstance(lval, str):
        rval = _try_convert(rval, str)
    elif isinstance(rval, str):
        lval = _try_convert(lval, str)
    return lval, rval


def _coerce_membership(lval: Any, rval: Any) -> Any:
    """For ``in``: add int/str converted copies of the right-hand items so ``1 in ("1")`` holds."""
    if not isinstance(rval, list) or not rval:
        return rval
    if isinstance(lval, int):
        kind: type = int
    elif isinstance(lval, str):
        kind = str
    else:
        return rval
    extra = [converted for item in rval if (converted := _try_convert(item, kind)) is not item]
    return rval + extra


def _as_set(value: Any) -> set:
    # A single value (a str in particular) stands for a one-item collection.
    if isinstance(value, list | tuple | set | frozenset):
        return set(value)
    return {value}


def _in(lval: Any, rval: Any) -> bool:
    return lval in _coerce_membership(lval, rval)


def _not_in(lval: Any, rval: Any) -> bool:
    return lval not in _coerce_membership(lval, rval)


def _issuperset(lval: Any, rval: Any) -> bool:
    return _as_set(lval).issuperset(_as_set(rval))


def _not_issuperset(lval: Any, rval: Any) -> bool:
    return not _issuperset(lval, rval)


def _scalar(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def evaluate(lval: Any, rval: Any) -> bool:
        return compare(*_coerce_scalars(lval, rval))

    return evaluate


OPERATORS: Dict[str, Callable[[Any, Any], bool]] = {
    "==": _scalar(op.eq),
    "!=": _scalar(op.ne),
    "<": _scalar(op.lt),
    ">": _scalar(op.gt),
    "<=": _scalar(op.le),
    ">=": _scalar(op.ge),
    "in": _in,
    "notin": _not_in,
    "issuperset": _issuperset,
    "notissuperset": _not_issuperset,
}


def _lookup(container: Any, segment: str) -> Any:
    keys = [segment]
    if segment.startswith("${") and segment.endswith("}"):
        keys.append(segment[2:-1])
    for key in keys:
        if isinstance(container, Mapping) and key in container:
            return container[key]
        if not isinstance(container, Mapping) and hasattr(container, key):
            return getattr(container, key)
    return _MISSING


class BoolRule:
    """A parsed boolean query.

    Args:
        query: the query text; ``"*"`` is always true.
        lazy: parse on the first :meth:`test` instead of in the constructor.
        strict: raise :class:`MissingVariableException` for an unresolvable identifier; when False
            such an identifier evaluates to None.

    Raises:
        pyparsing.ParseException: (from the constructor unless lazy) the query is not valid.
    """

    def __init__(self, query, lazy=False, strict=True) -> None:
        self.query = query
        self.strict = strict
        self._tree: Optional[Node] = None
        if not lazy:
            self._parse()

    def _parse(self) -> Optional[Node]:
        if self._tree is None and self.query.strip() != "*":
            self._tree = parse_query(self.query)
        return self._tree

    def test(self, context=None) -> bool:
        """Evaluate the query.

        Args:
            context: mapping/object used to resolve identifiers; when None or empty an identifier
                evaluates to its own text.
        """
        tree = self._parse()
        if tree is None:
            return True
        return self._evaluate(tree, context)

    def _evaluate(self, node: Node, context: Any) -> bool:
        if isinstance(node, BoolOp):
            left = self._evaluate(node.left, context)
            # Right nesting: "A and B or C" is "A and (B or C)"; both keywords short-circuit.
            if node.operator == "and":
                return left and self._evaluate(node.right, context)
            return left or self._evaluate(node.right, context)
        compare = OPERATORS.get(node.operator)
        if compare is None:
            raise UnknownOperatorException(f"unknown operator {node.operator!r} in query {self.query!r}")
        return bool(compare(self._value(node.lval, context), self._value(node.rval, context)))

    def _value(self, value: Any, context: Any) -> Any:
        if isinstance(value, Identifier):
            return self._resolve(value.path, context)
        if isinstance(value, TupleValue):
            return [self._value(item, context) for item in value.items]
        return value

    def _resolve(self, path: str, context: Any) -> Any:
        if not context:
            return path
        current = context
        for segment in path.split("."):
            current = _lookup(current, segment)
            if current is _MISSING:
                if self.strict:
                    raise MissingVariableException(
                        f"variable {path!r} (segment {segment!r}) not found in context"
                    )
                return None
        return current
