"""One ``${...}`` fragment: parse + check + compile once (cached), then evaluate against a context."""

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, FrozenSet, Mapping, Optional, Tuple, Union

from mako import filters as mako_filters

from bamboo_engine.template import sandbox
from bamboo_engine.template.evaluator import Evaluator, Runtime, compile_expression
from bamboo_engine.template.safe_builtins import safe_str, sandbox_names
from bamboo_engine.utils.mako_safety import (
    SandboxOptions,
    TemplateSandboxError,
    check_fragment_safety,
    check_whitelist,
    parse_fragment,
)

logger = logging.getLogger("bamboo_engine")

# Mako's names for its escape filters; the default "str" filter runs first unless "n" is given.
_FILTERS: Mapping[str, Callable[[Any], Any]] = {
    "h": mako_filters.html_escape,
    "x": mako_filters.xml_escape,
    "u": mako_filters.url_escape,
    "trim": mako_filters.trim,
    "entity": mako_filters.html_entities_escape,
    "unicode": safe_str,
    "str": safe_str,
}


@dataclass(frozen=True)
class CompiledFragment:
    """A fragment that passed the static checks and is ready to evaluate."""

    evaluate: Evaluator
    filters: Tuple[Callable[[Any], Any], ...]
    free_names: FrozenSet[str]


@dataclass(frozen=True)
class RefusedFragment:
    """A fragment the sandbox refused at compile time; ``reason`` says why."""

    reason: str


@lru_cache(maxsize=8192)
def compile_fragment(fragment: str) -> Union[CompiledFragment, RefusedFragment]:
    """Parse, check and compile ``fragment``; the outcome (also a refusal) is cached by its text."""
    try:
        parsed = parse_fragment(fragment)
        check_fragment_safety(parsed)
        evaluate = compile_expression(parsed.expression)
    except TemplateSandboxError as err:
        return RefusedFragment(str(err))
    names = parsed.filters if "n" in parsed.filters else ("str",) + parsed.filters
    chain = tuple(_filter(name) for name in names if name != "n")
    return CompiledFragment(evaluate, chain, parsed.free_names)


def _filter(name: str) -> Callable[[Any], Any]:
    if name.startswith("decode."):
        return getattr(mako_filters.decode, name[len("decode.") :])
    return _FILTERS[name]


@lru_cache(maxsize=8192)
def fragment_references(fragment: str) -> FrozenSet[str]:
    """Names a fragment reads (Mako's "undeclared identifiers"); empty if it does not parse."""
    try:
        return parse_fragment(fragment).free_names
    except TemplateSandboxError:
        return frozenset()


def evaluate_fragment(fragment: str, context: Mapping[str, Any], options: SandboxOptions) -> Optional[str]:
    """Render one fragment to text, or return ``None`` when it must stay as it is (inert).

    Template problems (refused, undefined names, errors while evaluating, limits) never raise.
    """
    compiled = compile_fragment(fragment)
    if isinstance(compiled, RefusedFragment):
        logger.debug("template fragment %r refused: %s", fragment, compiled.reason)
        return None
    try:
        check_whitelist(compiled.free_names, context, options)
        names, module_ids = sandbox_names(options)
        value = compiled.evaluate(Runtime(context, names, module_ids), {})
        for apply in compiled.filters:
            value = apply(value)
    except Exception as err:  # noqa: BLE001 - a failing fragment stays unrendered
        logger.debug("template fragment %r left unrendered: %r", fragment, err)
        return None
    if not isinstance(value, str) or len(value) > sandbox.MAX_OUTPUT_SIZE:
        # Mako can only write text; a raw object after "| n" fails there too.
        return None
    return str(value)
