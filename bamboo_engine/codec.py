"""How runtimes store Python values as text, and read them back.

Every runtime stores execution data, context values and histories as ``(text, serializer name)``:

* ``"json"``: plain JSON. Values made only of ``dict`` (string keys), ``list``, ``str``, ``int``,
  ``float``, ``bool`` and ``None`` are stored this way, byte for byte what ``json.dumps`` writes.
* ``"tagged_json"``: JSON in which each value JSON has no type for is an object with one ``$``-key
  naming its type (``{"$datetime": "2024-05-01T10:00:00+08:00"}``), so it comes back as it was stored:
  ``datetime`` (naive or aware, with its zone), ``date``, ``time``, ``timedelta``, ``Decimal``, ``UUID``,
  ``set``, ``frozenset``, ``tuple``, ``bytes``, and dicts with keys other than strings.
* ``"pickle"``: base64 of a pickle, only where the runtime enables it, for what neither JSON form holds.

The serializer name is stored next to each value, so a value stored as ``"json"`` is never read
through the tag decoder: a user dict that happens to look like a tag in a ``"json"`` row is just a dict.
Inside a ``"tagged_json"`` text such a dict (one key starting with ``$``) is itself escaped as
``{"$dict": [[key, value]]}``.

Plain values are recognised by one walk over them before ``json.dumps``; only values that need tags pay
for building the tagged copy.
"""

import base64
import datetime
import json
import pickle
import uuid
from decimal import Decimal
from typing import Any, Callable, Dict, List, Mapping, MutableMapping, Tuple, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bamboo_engine.exceptions import SerializationError, UnstorableValueError

JSON_SERIALIZER = "json"
TAGGED_JSON_SERIALIZER = "tagged_json"
PICKLE_SERIALIZER = "pickle"

TAG_PREFIX = "$"
_DICT_TAG = "$dict"

PathItem = Union[str, int, Any]


# ----------------------------------------------------------------------------------------- plain JSON


_SCALARS = frozenset({str, int, bool, float, type(None)})


def _is_plain(value: Any) -> bool:
    """Whether ``json.dumps``/``json.loads`` give ``value`` back unchanged (no tags needed).

    On the hot path (every node writes its outputs): scalars are checked inline by exact type, so only
    containers cost a call. Subclasses of ``str``, ``int``, ``float``, ``dict`` and ``list`` count as
    plain: JSON stores them as their base type.
    """
    if type(value) in _SCALARS:
        return True
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) is not str and not isinstance(key, str):
                return False
            if type(item) not in _SCALARS and not _is_plain(item):
                return False
        return True
    if isinstance(value, list):
        for item in value:  # noqa: SIM110 - a loop: ``all()`` of a generator costs 5x on the hot path
            if type(item) not in _SCALARS and not _is_plain(item):
                return False
        return True
    return isinstance(value, str | int | float)


# --------------------------------------------------------------------------------------------- encode


class _Unstorable(Exception):
    """Raised deep inside :func:`_tag`; collects the path while it unwinds (no cost on success)."""

    def __init__(self, value: Any):
        self.value_type = _type_name(value)
        self.path: List[PathItem] = []


def _type_name(value: Any) -> str:
    kind = type(value)
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def _path_text(path: List[PathItem]) -> str:
    """``["result", "items", 2]`` -> ``result.items[2]`` (keys that are not plain names in brackets)."""
    text = ""
    for item in path:
        if isinstance(item, str) and item and "." not in item and "[" not in item:
            text = f"{text}.{item}" if text else item
        else:
            text = f"{text}[{item!r}]"
    return text


def _zone_name(tzinfo: Any) -> str:
    """The IANA name of a zone (``zoneinfo`` ``key``, pytz ``zone``), or "" for fixed offsets."""
    name = getattr(tzinfo, "key", None) or getattr(tzinfo, "zone", None)
    return name if isinstance(name, str) else ""


def _with_zone(text: str, tzinfo: Any) -> str:
    """``text`` plus ``[zone]`` when the value has a named zone (the RFC 9557 suffix)."""
    zone = _zone_name(tzinfo) if tzinfo is not None else ""
    return f"{text}[{zone}]" if zone else text


def _tag_items(items: Any) -> List[Any]:
    out = []
    for index, item in enumerate(items):
        try:
            out.append(_tag(item))
        except _Unstorable as err:
            err.path.append(index)
            raise
    return out


def _sorted_if_possible(items: Any) -> List[Any]:
    """Set members in a stable order when they can be sorted: equal sets are then stored as equal text."""
    try:
        return sorted(items)
    except TypeError:
        return list(items)


def _tag_dict(value: Dict[Any, Any]) -> Dict[str, Any]:
    if len(value) == 1:
        (only_key,) = value
        escape = isinstance(only_key, str) and only_key[:1] == TAG_PREFIX
    else:
        escape = False
    if not escape and all(isinstance(key, str) for key in value):
        out = {}
        for key, item in value.items():
            try:
                out[key] = _tag(item)
            except _Unstorable as err:
                err.path.append(key)
                raise
        return out
    pairs = []
    for key, item in value.items():
        try:
            pairs.append([_tag(key), _tag(item)])
        except _Unstorable as err:
            err.path.append(key)
            raise
    return {_DICT_TAG: pairs}


def _tag_scalar(value: Any) -> Dict[str, Any]:
    """The tag object of a non-container value JSON has no type for."""
    if isinstance(value, datetime.datetime):
        return {"$datetime": _with_zone(value.isoformat(), value.tzinfo)}
    if isinstance(value, datetime.date):
        return {"$date": value.isoformat()}
    if isinstance(value, datetime.time):
        return {"$time": _with_zone(value.isoformat(), value.tzinfo)}
    if isinstance(value, datetime.timedelta):
        return {"$timedelta": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    raise _Unstorable(value)


def _tag(value: Any) -> Any:
    """A JSON-ready copy of ``value`` with tags for what JSON has no type for."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if isinstance(value, dict):
        return _tag_dict(value)
    if isinstance(value, list):
        return _tag_items(value)
    if isinstance(value, tuple):
        return {"$tuple": _tag_items(value)}
    if isinstance(value, frozenset):
        return {"$frozenset": _tag_items(_sorted_if_possible(value))}
    if isinstance(value, set):
        return {"$set": _tag_items(_sorted_if_possible(value))}
    if isinstance(value, str | int | float):
        return value  # subclasses (str enums, ...): stored as their base type, as plain JSON does
    return _tag_scalar(value)


def encode(value: Any) -> Tuple[str, str]:
    """``(text, serializer name)`` of ``value`` as plain or tagged JSON.

    Raises:
        UnstorableValueError: some part of ``value`` has a type neither form can store (its ``key``
            is the path to it, relative to ``value``).
    """
    try:
        if _is_plain(value):
            return json.dumps(value), JSON_SERIALIZER
        return json.dumps(_tag(value)), TAGGED_JSON_SERIALIZER
    except _Unstorable as err:
        raise UnstorableValueError(_path_text(err.path[::-1]), err.value_type) from None
    except (RecursionError, ValueError) as err:  # a value that contains itself
        raise UnstorableValueError("", _type_name(value), f"it cannot be written as JSON ({err})") from None


# --------------------------------------------------------------------------------------------- decode


def _split_zone(text: str) -> Tuple[str, str]:
    if text.endswith("]") and "[" in text:
        base, _, zone = text[:-1].partition("[")
        return base, zone
    return text, ""


def _zone(name: str) -> Any:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None  # unknown on this machine: the stored UTC offset still gives the same instant


def _untag_datetime(text: str) -> datetime.datetime:
    base, name = _split_zone(text)
    value = datetime.datetime.fromisoformat(base)
    zone = _zone(name) if name and value.tzinfo is not None else None
    return value.astimezone(zone) if zone is not None else value


def _untag_time(text: str) -> datetime.time:
    base, name = _split_zone(text)
    value = datetime.time.fromisoformat(base)
    zone = _zone(name) if name else None
    return value.replace(tzinfo=zone) if zone is not None else value


def _untag_dict(pairs: List[List[Any]]) -> Dict[Any, Any]:
    return {key: item for key, item in pairs}


_UNTAG: Dict[str, Callable[[Any], Any]] = {
    "$datetime": _untag_datetime,
    "$date": datetime.date.fromisoformat,
    "$time": _untag_time,
    "$timedelta": lambda parts: datetime.timedelta(*parts),
    "$decimal": Decimal,
    "$uuid": uuid.UUID,
    "$bytes": lambda text: base64.b64decode(text.encode("ascii")),
    "$tuple": tuple,
    "$set": set,
    "$frozenset": frozenset,
    _DICT_TAG: _untag_dict,
}


def _untag(obj: Dict[str, Any]) -> Any:
    """``json.loads`` object hook: a one-key ``$`` object is a tag (inner values are already decoded)."""
    if len(obj) != 1:
        return obj
    ((key, payload),) = obj.items()
    if key[:1] != TAG_PREFIX:
        return obj
    decoder = _UNTAG.get(key)
    if decoder is None:
        raise SerializationError(f"unknown tag {key!r} in stored tagged JSON")
    try:
        return decoder(payload)
    except (TypeError, ValueError) as err:
        raise SerializationError(f"malformed {key} value {payload!r} in stored tagged JSON: {err}") from err


def decode(text: str, serializer: str) -> Any:
    """Inverse of :func:`encode`.

    Raises:
        SerializationError: ``serializer`` is not one of the JSON forms, or the text is malformed.
    """
    if serializer == JSON_SERIALIZER:
        return json.loads(text)
    if serializer == TAGGED_JSON_SERIALIZER:
        return json.loads(text, object_hook=_untag)
    raise SerializationError(f"unknown serializer {serializer!r}")


# ------------------------------------------------------------------------------------ with pickle


def dumps(value: Any, allow_pickle: bool, pickle_hint: str = "") -> Tuple[str, str]:
    """:func:`encode`, falling back to pickle when ``allow_pickle``.

    Args:
        pickle_hint: how a user enables pickle on this runtime; added to the error when it is off.

    Raises:
        UnstorableValueError: neither JSON form can store the value, and pickle is off or fails too.
    """
    try:
        return encode(value)
    except UnstorableValueError as err:
        if not allow_pickle:
            raise UnstorableValueError(err.key, err.value_type, pickle_hint) from None
        refused = err
    try:
        return base64.b64encode(pickle.dumps(value)).decode("ascii"), PICKLE_SERIALIZER
    except Exception as err:  # noqa: BLE001 - pickle raises many types (PicklingError, TypeError, ...)
        raise UnstorableValueError(refused.key, refused.value_type, f"pickle fails too: {err}") from None


def loads(text: str, serializer: str, allow_pickle: bool, pickle_hint: str = "") -> Any:
    """Inverse of :func:`dumps`; a pickled value is only loaded when ``allow_pickle``.

    Raises:
        SerializationError: the serializer is unknown, or it is pickle and pickle is off.
    """
    if serializer == PICKLE_SERIALIZER:
        if not allow_pickle:
            raise SerializationError(f"refusing to unpickle stored data: {pickle_hint or 'pickle is off'}")
        return pickle.loads(base64.b64decode(text))  # noqa: S301 - explicit opt-in
    return decode(text, serializer)


# ------------------------------------------------------------------------- values a runtime refuses


def drop_unstorable(
    serialize: Callable[[Dict[str, Any]], Any], parts: Mapping[str, MutableMapping[str, Any]]
) -> List[UnstorableValueError]:
    """Remove from each dict of ``parts`` the keys whose values ``serialize`` refuses.

    A dict the runtime takes as a whole costs one call; a refused one is tried key by key, so everything
    that can be stored is kept.

    Args:
        serialize: the runtime's ``serialize_execution_data``.
        parts: dicts to clean in place, by name (``{"outputs": {...}}``).

    Returns:
        One error per removed key, its ``key`` prefixed with the part's name (``outputs.result[2]``).
    """
    errors = []
    for name, values in parts.items():
        try:
            serialize(dict(values))
            continue
        except UnstorableValueError:
            pass
        for key in list(values):
            try:
                serialize({key: values[key]})
            except UnstorableValueError as err:
                errors.append(err.within(name))
                del values[key]
    return errors
