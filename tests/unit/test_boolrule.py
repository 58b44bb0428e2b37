"""boolrule grammar, operators, coercions and the default expression function."""

import pyparsing
import pytest

from bamboo_engine.utils.boolrule import BoolRule, MissingVariableException, UnknownOperatorException
from bamboo_engine.utils.expr import default_expr_func


@pytest.mark.parametrize(
    "query, expected",
    [
        # comparison operators on numbers
        ("1 == 1", True),
        ("1 != 1", False),
        ("1 < 2", True),
        ("2 > 1", True),
        ("2 >= 2", True),
        ("2 <= 1", False),
        ("1.5 > 1.25", True),
        (".5 == 0.5", True),
        ("1. == 1.0", True),
        ("-1.5e1 == -15.0", True),
        ("+3 == 3", True),
        ("2E3 == 2000", True),
        # strings and booleans
        ('"abc" == "abc"', True),
        ("'abc' == \"abc\"", True),
        ('"abc" != "abd"', True),
        ('"b" > "a"', True),
        ("True == False", False),
        ("TRUE == true", True),
        ("false != FaLsE", False),
        # int coercion: left int converts right, right int converts left
        ('1 == "1"', True),
        ('"2" > 1', True),
        ('"10" < 9', False),
        ("1 == 1.9", True),  # quirk: the right side is int-converted when the left is an int
        # str coercion: the other side becomes a string
        ('"1.5" == 1.5', True),
        ('1.5 == "1.5"', True),
        ('"x" == 1', False),  # int("x") fails and the values stay as they are
        ("true == 1", True),  # bool is an int
        # membership
        ("1 in (1, 2)", True),
        ("3 in (1, 2)", False),
        ('1 in ("1", "2")', True),
        ('"1" in (1, 2)', True),
        ('"a" in ("a", "b")', True),
        ('"c" notin ("a", "b")', True),
        ('1 notin ("1", 2)', False),
        ('"bc" in "abc"', True),
        # sets
        ("(1, 2, 3) issuperset (1, 2)", True),
        ("(1, 2) issuperset (1, 3)", False),
        ('("a", "b") issuperset "a"', True),
        ('"a" issuperset ("a")', True),
        ("(1, 2) notissuperset (3)", True),
        ('("a", "b") notissuperset "a"', False),
        # keywords are case-insensitive
        ("1 IN (1)", True),
        ("1 NotIn (2)", True),
        ("(1) IsSuperSet (1)", True),
        ("1 == 1 AND 2 == 2", True),
        ("1 == 2 Or 2 == 2", True),
        # identifiers without context compare as their own text
        ('abc == "abc"', True),
        ('a.b == "a.b"', True),
        ('${x} == "${x}"', True),
        ('_private == "_private"', True),
        ('中文 == "中文"', True),
        ("value_1 in (value_1, value_2)", True),
        # the always-true query
        ("*", True),
        (" * ", True),
    ],
)
def test_operator_and_coercion_table(query, expected):
    assert BoolRule(query).test() is expected


@pytest.mark.parametrize(
    "query, expected",
    [
        # right nesting: "A and B or C" is "A and (B or C)"
        ("1 == 2 and 1 == 2 or 1 == 1", False),
        ("(1 == 2 and 1 == 2) or 1 == 1", True),
        ("1 == 1 or 1 == 2 and 1 == 2", True),
        ("1 == 1 and 1 == 2 or 1 == 1", True),
        ("((1 == 1) and (2 == 2 or 3 == 4)) and 5 > 4", True),
        ("(1 == 2 or (2 == 2 and (3 == 3 or 4 == 5)))", True),
        ("1 == 1 and 2 == 2 and 3 == 4", False),
    ],
)
def test_grammar_nesting(query, expected):
    assert BoolRule(query).test() is expected


def test_or_short_circuits_before_a_missing_variable():
    assert BoolRule("1 == 1 or missing == 1").test({"present": 1}) is True
    assert BoolRule("1 == 2 and missing == 1").test({"present": 1}) is False
    with pytest.raises(MissingVariableException):
        BoolRule("1 == 2 or missing == 1").test({"present": 1})


class Obj:
    level = 3


@pytest.mark.parametrize(
    "query, context, expected",
    [
        ("a == 1", {"a": 1}, True),
        ("a.b.c >= 2", {"a": {"b": {"c": 2}}}, True),
        ("${a} == 1", {"a": 1}, True),
        ("${a} == 1", {"${a}": 1}, True),
        ("o.level == 3", {"o": Obj()}, True),
        ("a in (1, 2)", {"a": 2}, True),
        ("a in b", {"a": 1, "b": [1, 2]}, True),
        ('name == "x"', {"name": "x"}, True),
    ],
)
def test_identifiers_resolve_against_context(query, context, expected):
    assert BoolRule(query).test(context) is expected


def test_empty_context_treats_identifiers_as_text():
    assert BoolRule('a == "a"').test({}) is True
    assert BoolRule('a == "a"').test(None) is True


def test_missing_variable_raises_with_the_path():
    with pytest.raises(MissingVariableException, match="a.x"):
        BoolRule("a.x == 1").test({"a": {"b": 1}})


def test_non_strict_missing_variable_is_none():
    assert BoolRule("missing == 1", strict=False).test({"a": 1}) is False


@pytest.mark.parametrize(
    "query",
    [
        "1 ==",
        "== 1",
        "1 = 1",
        "1 == 1 and",
        "(1 == 1",
        "1 === 1",
        "",
        "1 == 1 xor 2 == 2",
        "10.0.0.7 == 1",
        "1 like 1",
    ],
)
def test_parse_errors_raise_pyparsing_exception(query):
    with pytest.raises(pyparsing.ParseException):
        BoolRule(query)


def test_lazy_rule_parses_on_first_test():
    rule = BoolRule("1 ==", lazy=True)
    with pytest.raises(pyparsing.ParseException):
        rule.test()


def test_unknown_operator_exception_is_an_exception_type():
    assert issubclass(UnknownOperatorException, Exception)
    assert issubclass(MissingVariableException, Exception)


def test_default_expr_func_ignores_context():
    # The context holds the raw value; the rendered expression already carries the substituted text.
    assert default_expr_func('abc == "abc"', {"abc": "other"}, {}) is True
    assert default_expr_func('"value_1" == "value_1"', {}, {"strategy": "FIRST"}) is True
    assert default_expr_func("93 >= 90", {"usage": 93}, {}) is True
    assert default_expr_func("True == False", {}, {}) is False


def test_unknown_operator_in_a_syntax_tree_raises(monkeypatch):
    from bamboo_engine.utils import boolrule
    from bamboo_engine.utils.boolrule_grammar import Condition

    monkeypatch.setattr(boolrule, "parse_query", lambda query: Condition(1, "~=", 1))
    with pytest.raises(UnknownOperatorException, match="~="):
        BoolRule("1 ~= 1").test()
