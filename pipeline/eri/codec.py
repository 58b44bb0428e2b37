"""Text encodings of what the runtime stores.

* Node ``Data.inputs``: ``{key: {"need_render": bool, "value": ...}}`` as JSON
  (:func:`data_json_dumps` / :func:`data_json_loads`).
* Execution data, context values and histories: a value plus the name of its serializer (``"json"``, or
  ``"pickle"`` = base64 of a pickle, only when ``BAMBOO_DJANGO_ERI_ALLOW_PICKLE`` is on). The serializer
  name is stored next to each value so rows can be read back and upgraded later.
"""

import base64
import json
import pickle
from typing import Any, Dict, Tuple

from bamboo_engine.eri.models.runtime import DataInput

JSON_SERIALIZER = "json"
PICKLE_SERIALIZER = "pickle"


class SerializationError(TypeError):
    """A value cannot be stored (not JSON serialisable and pickle not enabled), or read back."""


def _default(obj: Any) -> Any:
    if isinstance(obj, DataInput):
        return {"need_render": obj.need_render, "value": obj.value}
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def data_json_dumps(data: Dict[str, Any]) -> str:
    """Encode node data inputs (``{key: DataInput}`` or already-plain dicts) as JSON."""
    return json.dumps(data, default=_default)


def data_json_loads(data: str) -> Dict[str, DataInput]:
    """Decode :func:`data_json_dumps` output into ``{key: DataInput}``."""
    raw = json.loads(data) if data else {}
    return {key: DataInput(need_render=item["need_render"], value=item["value"]) for key, item in raw.items()}


def dumps(value: Any, allow_pickle: bool) -> Tuple[str, str]:
    """``(text, serializer name)`` of ``value``.

    Raises:
        SerializationError: the value is not JSON serialisable and pickle is not enabled.
    """
    try:
        return json.dumps(value), JSON_SERIALIZER
    except (TypeError, ValueError) as err:
        if not allow_pickle:
            raise SerializationError(
                f"value is not JSON serialisable ({err}); set BAMBOO_DJANGO_ERI_ALLOW_PICKLE = True "
                "to store such values with pickle"
            ) from err
    return base64.b64encode(pickle.dumps(value)).decode("ascii"), PICKLE_SERIALIZER


def loads(text: str, serializer: str, allow_pickle: bool) -> Any:
    """Inverse of :func:`dumps`.

    Raises:
        SerializationError: the serializer is unknown, or it is pickle and pickle is not enabled.
    """
    if serializer == JSON_SERIALIZER:
        return json.loads(text)
    if serializer == PICKLE_SERIALIZER:
        if not allow_pickle:
            raise SerializationError(
                "refusing to unpickle stored data: set BAMBOO_DJANGO_ERI_ALLOW_PICKLE = True to read "
                "values stored with the pickle serializer"
            )
        return pickle.loads(base64.b64decode(text))  # noqa: S301 - explicit opt-in
    raise SerializationError(f"unknown serializer {serializer!r}")
