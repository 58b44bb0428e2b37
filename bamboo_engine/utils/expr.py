"""Default expression function used to evaluate gateway conditions."""

from bamboo_engine.utils.boolrule import BoolRule


def default_expr_func(expr: str, context: dict, extra_info: dict, *args, **kwargs) -> bool:
    """Evaluate a rendered gateway condition with boolrule.

    The context is deliberately not passed to boolrule: the template engine has already substituted
    every ``${}`` reference, and a bare identifier left in the expression must compare as its own text
    (``abc == "abc"`` is true), which only happens without a context.

    Args:
        expr: the rendered condition expression.
        context: the hydrated evaluation context (unused by the default function).
        extra_info: the gateway's ``extra_info`` (unused by the default function).

    Returns:
        Whether the condition holds.
    """
    return BoolRule(expr).test()
