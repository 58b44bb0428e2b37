"""Id and variable-key helpers."""

import html
import re
import uuid

_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")


def unique_id(prefix: str) -> str:
    """Return ``prefix`` followed by 32 lower-case hex digits (33 characters in all)."""
    if len(prefix) != 1:
        raise ValueError(f"prefix must be one character, got {prefix!r}")
    return prefix + uuid.uuid4().hex


def format_var_key(key: str) -> str:
    """``"name"`` -> ``"${name}"``."""
    return "${" + key + "}"


def deformat_var_key(key: str) -> str:
    """``"${name}"`` -> ``"name"``; any other string is returned unchanged."""
    if key.startswith("${") and key.endswith("}"):
        return key[2:-1]
    return key


def transform_escape_char(value):
    """Undo HTML escaping in string values before they are substituted into conditions.

    Front ends often store ``&lt;`` and ``&quot;`` in variable values; conditions must compare the
    real characters.
    """
    if not isinstance(value, str):
        return value
    return html.unescape(value)


def get_lower_case_name(text: str) -> str:
    """``"ExclusiveGateway"`` -> ``"exclusive_gateway"`` (used for metric labels)."""
    return _CAMEL_BOUNDARY.sub("_", text).lower()
