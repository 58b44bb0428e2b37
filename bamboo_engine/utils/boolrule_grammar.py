"""pyparsing grammar of boolrule queries, producing a small immutable syntax tree.

The grammar::

    expression := condition ( ("and" | "or") condition )*      # folded to the right
    condition  := value OP value | "(" expression ")"
    value      := real | integer | string | bool | identifier-path | "(" value ("," value)* ")"

The syntax tree holds no context, so a parsed query can be cached and evaluated many times.
"""

import functools
import re
from dataclasses import dataclass
from typing import Any, List, Tuple, Union

import pyparsing as pp

COMPARISON_OPERATORS = ("==", "!=", ">=", "<=", "<", ">")
WORD_OPERATORS = ("notissuperset", "issuperset", "notin", "in")


@dataclass(frozen=True)
class Identifier:
    """A dotted path such as ``a.b`` or ``${a}.b``; resolved against the context at test time."""

    path: str


@dataclass(frozen=True)
class TupleValue:
    """A parenthesised list of values, e.g. ``(1, "a", b)``; evaluates to a list."""

    items: Tuple[Any, ...]


@dataclass(frozen=True)
class Condition:
    """``lval operator rval``; the operator is lower-cased."""

    lval: Any
    operator: str
    rval: Any


@dataclass(frozen=True)
class BoolOp:
    """``left and|or right`` where ``right`` holds everything after the keyword (right nesting)."""

    left: "Node"
    operator: str
    right: "Node"


Node = Union[Condition, BoolOp]


def _to_int(token: str) -> Union[int, float]:
    mantissa, _, exponent = token.lower().partition("e")
    if not exponent:
        return int(mantissa)
    power = int(exponent)
    # A negative exponent cannot give an integer in general; keep the exact value as a float.
    return int(mantissa) * 10**power if power >= 0 else float(token)


def _fold_right(tokens: pp.ParseResults) -> Node:
    items = list(tokens)
    node = items[-1]
    for index in range(len(items) - 2, 0, -2):
        node = BoolOp(left=items[index - 1], operator=items[index], right=node)
    return node


def _build_grammar() -> pp.ParserElement:
    sign = pp.Word("+-", exact=1)
    digits = pp.Word(pp.nums)
    exponent = pp.CaselessLiteral("E") + pp.Optional(sign) + digits
    real = pp.Combine(
        pp.Optional(sign) + (digits + "." + pp.Optional(digits) | "." + digits) + pp.Optional(exponent)
    ).set_parse_action(lambda t: float(t[0]))
    integer = pp.Combine(pp.Optional(sign) + digits + pp.Optional(exponent)).set_parse_action(
        lambda t: _to_int(t[0])
    )
    string = (pp.QuotedString('"') | pp.QuotedString("'")).set_parse_action(lambda t: str(t[0]))
    boolean = (pp.CaselessKeyword("true") | pp.CaselessKeyword("false")).set_parse_action(
        lambda t: t[0].lower() == "true"
    )
    # \w and [^\W\d_] are Unicode-aware, so substituted non-ASCII words still parse as identifiers.
    segment = r"(?:\$\{)?_?[^\W\d_]\w*\}?"
    identifier = pp.Regex(rf"{segment}(?:\.{segment})*", flags=re.UNICODE).set_parse_action(
        lambda t: Identifier(t[0])
    )
    simple_value = real | integer | string | boolean | identifier
    lparen, rparen = pp.Suppress("("), pp.Suppress(")")
    tuple_value = (lparen + pp.DelimitedList(simple_value) + rparen).set_parse_action(
        lambda t: TupleValue(tuple(t))
    )
    value = simple_value | tuple_value

    operators: List[pp.ParserElement] = [pp.Literal(op) for op in COMPARISON_OPERATORS]
    operators += [pp.CaselessKeyword(op) for op in WORD_OPERATORS]
    operator = pp.MatchFirst(operators)
    operator.set_parse_action(lambda t: t[0].lower())
    and_or = (pp.CaselessKeyword("and") | pp.CaselessKeyword("or")).set_parse_action(lambda t: t[0].lower())

    expression = pp.Forward()
    comparison = (value + operator + value).set_parse_action(lambda t: Condition(t[0], t[1], t[2]))
    condition = comparison | (lparen + expression + rparen)
    expression <<= (condition + pp.ZeroOrMore(and_or + condition)).set_parse_action(_fold_right)
    return expression


_GRAMMAR = _build_grammar()


@functools.lru_cache(maxsize=2048)
def parse_query(query: str) -> Node:
    """Parse ``query`` into a syntax tree (cached: gateways evaluate the same text repeatedly).

    Raises:
        pyparsing.ParseException: the query does not follow the grammar.
    """
    return _GRAMMAR.parse_string(query, parse_all=True)[0]
