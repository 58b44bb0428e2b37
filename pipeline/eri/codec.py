"""Text encodings of what the Django runtime stores.

* Execution data, context values and histories: a value plus the name of its serializer, encoded by
  :mod:`bamboo_engine.codec` (``"json"``, ``"tagged_json"`` for datetimes, Decimals, sets, ... and
  ``"pickle"`` only when ``BAMBOO_DJANGO_ERI_ALLOW_PICKLE`` is on): :func:`dumps` / :func:`loads`.
* Node ``Data.inputs``: ``{key: {"need_render": bool, "value": ...}}`` as JSON (:func:`data_json_dumps` /
  :func:`data_json_loads`). A project can plug its own ``json.JSONEncoder`` subclass and ``object_hook``
  into these two with ``DATA_JSON_ENCODER_PATH`` / ``DATA_JSON_OBJECT_HOOK_PATH``: a Django setting, or
  this module's attribute of the same name (which wins when set, as projects written for the upstream
  package do).
"""

import json
import logging
from typing import Any, Dict, Optional, Tuple

from bamboo_engine import codec as _codec
from bamboo_engine.eri.models.runtime import DataInput
from bamboo_engine.exceptions import SerializationError, UnstorableValueError
from pipeline.conf import settings

__all__ = [
    "DATA_JSON_ENCODER_PATH",
    "DATA_JSON_OBJECT_HOOK_PATH",
    "JSON_SERIALIZER",
    "PICKLE_SERIALIZER",
    "TAGGED_JSON_SERIALIZER",
    "SerializationError",
    "UnstorableValueError",
    "data_inputs_dumps",
    "data_inputs_loads",
    "data_json_dumps",
    "data_json_loads",
    "dumps",
    "loads",
]

logger = logging.getLogger(__name__)

JSON_SERIALIZER = _codec.JSON_SERIALIZER
TAGGED_JSON_SERIALIZER = _codec.TAGGED_JSON_SERIALIZER
PICKLE_SERIALIZER = _codec.PICKLE_SERIALIZER

PICKLE_HINT = "set BAMBOO_DJANGO_ERI_ALLOW_PICKLE = True to store it with pickle"
UNPICKLE_HINT = "set BAMBOO_DJANGO_ERI_ALLOW_PICKLE = True to read values stored with the pickle serializer"

# Dotted paths of a ``json.JSONEncoder`` subclass and of a ``json.loads`` object hook for node data
# inputs. None here defers to the Django settings of the same names.
DATA_JSON_ENCODER_PATH: Optional[str] = None
DATA_JSON_OBJECT_HOOK_PATH: Optional[str] = None

# Imported hooks by dotted path (None: the path did not import). Paths never change meaning within a
# process, so caching by path is exact, and a changed setting simply selects another entry.
_LOCAL: Dict[str, Any] = {}


# ---------------------------------------------------------------------------- values with serializer


def dumps(value: Any, allow_pickle: bool) -> Tuple[str, str]:
    """``(text, serializer name)`` of ``value``.

    Raises:
        UnstorableValueError: neither JSON form can store the value and pickle is off (or fails).
    """
    return _codec.dumps(value, allow_pickle, PICKLE_HINT)


def loads(text: str, serializer: str, allow_pickle: bool) -> Any:
    """Inverse of :func:`dumps`.

    Raises:
        SerializationError: the serializer is unknown, or it is pickle and pickle is not enabled.
    """
    return _codec.loads(text, serializer, allow_pickle, UNPICKLE_HINT)


# ------------------------------------------------------------------------------------ node data inputs


def _get_local(key: str, path: str) -> Any:
    """The object at dotted ``path`` (cached); None, logged once, when it cannot be imported.

    ``key`` names the hook in the log. An unimportable path leaves the hook off rather than failing
    every write of node data, as the upstream package does.
    """
    if path in _LOCAL:
        return _LOCAL[path]
    from django.utils.module_loading import import_string

    try:
        _LOCAL[path] = import_string(path)
    except ImportError:
        logger.exception("%s %r cannot be imported: the hook is off", key, path)
        _LOCAL[path] = None
    return _LOCAL[path]


def _hook_path(name: str) -> Optional[str]:
    module_value = globals()[name]
    return module_value if module_value else getattr(settings, name)


def _get_data_json_encoder() -> Any:
    """The ``cls`` given to ``json.dumps`` for node data inputs, or None."""
    path = _hook_path("DATA_JSON_ENCODER_PATH")
    return _get_local("DATA_JSON_ENCODER_PATH", path) if path else None


def _get_data_json_object_hook() -> Any:
    """The ``object_hook`` given to ``json.loads`` for node data inputs, or None."""
    path = _hook_path("DATA_JSON_OBJECT_HOOK_PATH")
    return _get_local("DATA_JSON_OBJECT_HOOK_PATH", path) if path else None


def data_json_dumps(data: Any) -> str:
    """JSON text of node data inputs in their stored shape (``{key: {"need_render", "value"}}``)."""
    return json.dumps(data, cls=_get_data_json_encoder())


def data_json_loads(data: str) -> Any:
    """The stored shape of node data inputs back from :func:`data_json_dumps` text."""
    return json.loads(data, object_hook=_get_data_json_object_hook())


def data_inputs_dumps(inputs: Dict[str, Any]) -> str:
    """:func:`data_json_dumps` of ``{key: DataInput}`` (already-plain items are kept as they are)."""
    return data_json_dumps(
        {
            key: {"need_render": item.need_render, "value": item.value}
            if isinstance(item, DataInput)
            else item
            for key, item in inputs.items()
        }
    )


def data_inputs_loads(text: str) -> Dict[str, DataInput]:
    """``{key: DataInput}`` of :func:`data_inputs_dumps` text ("" reads as no inputs)."""
    raw = data_json_loads(text) if text else {}
    return {key: DataInput(need_render=item["need_render"], value=item["value"]) for key, item in raw.items()}
