"""``Template``: find, reference and render ``${...}`` fragments in strings and containers."""

import re
from typing import Any, Dict, List, Mapping, Optional, Set, Tuple

from bamboo_engine.config import Settings
from bamboo_engine.template.fragment import fragment_references
from bamboo_engine.template.render_backend import get_render_backend
from bamboo_engine.utils.string import format_var_key

FRAGMENT_PATTERN = re.compile(r"\${[^${}#]+}")
# Rule 2: ``${name["key"][0]}`` - a context name indexed by quoted words or integers.
_INDEXED_NAME = re.compile(
    r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*((?:\[\s*(?:\"[^\"\]]*\"|'[^'\]]*'|-?\d+)\s*\])+)\s*\}"
)
_INDEX = re.compile(r"\[\s*(?:\"([^\"\]]*)\"|'([^'\]]*)'|(-?\d+))\s*\]")
_NOT_FOUND = object()


class Template:
    """Templates inside ``data``: a string, or lists/tuples/dicts nesting strings.

    Rendering is delegated fragment by fragment to the current render backend
    (:func:`~bamboo_engine.template.render_backend.get_render_backend`); a fragment the sandbox refuses
    or that fails stays in the text unchanged.
    """

    def __init__(self, data: Any):
        self.data = data

    def get_templates(self) -> List[str]:
        """Every ``${...}`` fragment in the strings of ``data``, in order (duplicates kept)."""
        templates: List[str] = []
        _walk_strings(self.data, lambda text: templates.extend(FRAGMENT_PATTERN.findall(text)))
        return templates

    def get_reference(self, deformat=False) -> Set[str]:
        """Names the fragments read, as ``${name}`` (or ``name`` with ``deformat=True``)."""
        names: Set[str] = set()
        for fragment in self.get_templates():
            names |= fragment_references(fragment)
        return names if deformat else {format_var_key(name) for name in names}

    def render(self, context: dict) -> Any:
        """Render ``data`` against ``context`` (keys are deformatted names).

        Strings are rendered, lists and tuples rebuilt, dict values replaced in place, anything else
        returned unchanged.

        Raises:
            RenderInfrastructureError: the render backend itself failed (never for template problems).
        """
        render_pass = _RenderPass(context)
        _walk_strings(self.data, render_pass.collect)
        render_pass.render_pending()
        return render_pass.rebuild(self.data)


def _walk_strings(data: Any, visit) -> None:
    if isinstance(data, str):
        visit(data)
    elif isinstance(data, list | tuple):
        for item in data:
            _walk_strings(item, visit)
    elif isinstance(data, dict):
        for value in data.values():
            _walk_strings(value, visit)


class _RenderPass:
    """Collects the fragments of every string first, so the backend is asked once per render."""

    def __init__(self, context: Mapping[str, Any]) -> None:
        self.context = context
        self.index_objects = bool(Settings.ENABLE_RENDER_OBJ_BY_MAKO_STRING)
        self.direct: Dict[str, Any] = {}
        self.pending: Dict[str, Optional[str]] = {}

    def collect(self, text: str) -> None:
        if "${" not in text or text in self.direct:
            return
        found = self._resolve_object(text)
        self.direct[text] = found
        if found is _NOT_FOUND:
            for fragment in FRAGMENT_PATTERN.findall(text):
                self.pending.setdefault(fragment, None)

    def render_pending(self) -> None:
        if not self.pending:
            return
        fragments = list(self.pending)
        results = get_render_backend().render_fragments(fragments, self.context)
        self.pending = dict(zip(fragments, results, strict=False))

    def rebuild(self, data: Any) -> Any:
        if isinstance(data, str):
            return self._render_string(data)
        if isinstance(data, list):
            return [self.rebuild(item) for item in data]
        if isinstance(data, tuple):
            return tuple(self.rebuild(item) for item in data)
        if isinstance(data, dict):
            for key, value in data.items():
                data[key] = self.rebuild(value)
        return data

    def _render_string(self, text: str) -> Any:
        found = self.direct.get(text, _NOT_FOUND)
        if found is not _NOT_FOUND:
            return found
        if "${" not in text:
            return text
        return FRAGMENT_PATTERN.sub(self._substitute, text)

    def _substitute(self, match: "re.Match[str]") -> str:
        rendered = self.pending.get(match.group(0))
        return match.group(0) if rendered is None else rendered

    def _resolve_object(self, text: str) -> Any:
        """Rules 1 and 2: a string that is exactly one fragment naming a context object returns it."""
        if not (text.startswith("${") and text.endswith("}")):
            return _NOT_FOUND
        name = text[2:-1]
        if name in self.context and FRAGMENT_PATTERN.fullmatch(text):
            return self.context[name]
        if self.index_objects:
            return self._resolve_indexed(text)
        return _NOT_FOUND

    def _resolve_indexed(self, text: str) -> Any:
        match = _INDEXED_NAME.fullmatch(text)
        if match is None or match.group(1) not in self.context:
            return _NOT_FOUND
        value = self.context[match.group(1)]
        for word_double, word_single, number in _INDEX.findall(match.group(2)):
            key: Any = int(number) if number else (word_double or word_single)
            if isinstance(key, str) and "__" in key:
                return _NOT_FOUND
            try:
                value = value[key]
            except Exception:  # noqa: BLE001 - any lookup failure: the key is absent
                return _NOT_FOUND
        return value


__all__: Tuple[str, ...] = ("Template",)
