"""``check_mako_template_safety``: ask the template sandbox whether a text would be rendered.

The same checks the engine applies when it renders (:mod:`bamboo_engine.utils.mako_safety`), run ahead of
time, e.g. to reject a form value when it is saved rather than leave it unrendered later. A text is safe
when it has no Mako control lines or ``<% %>``/``<%tag>`` blocks and every ``${...}`` fragment passes
the sandbox's safety check (the name whitelist, which depends on the context, is not checked here).
"""

import re
from typing import Any

from bamboo_engine.template.template import FRAGMENT_PATTERN
from bamboo_engine.utils.mako_safety import TemplateSandboxError, check_fragment_safety, parse_fragment
from bamboo_engine.utils.mako_utils.exceptions import ForbiddenMakoTemplateException

__all__ = ["check_mako_template_safety", "ForbiddenMakoTemplateException"]

_CONTROL = re.compile(r"<%|</%|^\s*%(?!%)", re.MULTILINE)


def check_mako_template_safety(text: str, node_visitor: Any = None, code_extractor: Any = None) -> bool:
    """True when the sandbox would render every fragment of ``text``.

    ``node_visitor`` and ``code_extractor`` are accepted for callers written for a pluggable checker
    and ignored: the sandbox's rules are the only ones.

    Raises:
        ForbiddenMakoTemplateException: the first construct the sandbox refuses, named in the message.
    """
    if _CONTROL.search(text):
        raise ForbiddenMakoTemplateException(f"control lines and <% %> blocks are not allowed: {text[:80]!r}")
    for fragment in FRAGMENT_PATTERN.findall(text):
        try:
            check_fragment_safety(parse_fragment(fragment))
        except TemplateSandboxError as err:
            raise ForbiddenMakoTemplateException(f"{fragment}: {err}") from None
    return True
