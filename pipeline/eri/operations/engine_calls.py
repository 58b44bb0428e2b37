"""The actions of upstream's engine_admin API: parameters checked, then one ``bamboo_engine.api`` call.

Each function takes a :class:`Call` and returns the api's data; a refusal raises one of
:mod:`pipeline.eri.operations.results`' errors.
"""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from bamboo_engine import api
from bamboo_engine.exceptions import NotFoundError
from pipeline.eri.operations.results import InvalidParams, TargetNotFound, checked


@dataclass(frozen=True)
class Call:
    """One action to apply: the runtime, the target id, the request's parameters and who asked."""

    runtime: Any
    target_id: str
    params: Mapping[str, Any] = field(default_factory=dict)
    operator: str = ""


# ---- parameters ------------------------------------------------------------------------------------


def optional_object(params: Mapping[str, Any], key: str) -> Optional[Dict[str, Any]]:
    """``params[key]`` when it is a JSON object, None when absent or null.

    Raises:
        InvalidParams: it is present but not an object.
    """
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidParams(f"{key!r} must be a JSON object, got {type(value).__name__}")
    return value


def optional_text(params: Mapping[str, Any], key: str) -> str:
    """``params[key]`` as a string, "" when absent, null or empty.

    Raises:
        InvalidParams: it is present but not a string.
    """
    value = params.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidParams(f"{key!r} must be a string, got {type(value).__name__}")
    return value


def required_text(params: Mapping[str, Any], key: str) -> str:
    """``params[key]``, a non-empty string.

    Raises:
        InvalidParams: missing, empty or not a string.
    """
    value = optional_text(params, key)
    if not value:
        raise InvalidParams(f"{key!r} is required")
    return value


def required_text_list(params: Mapping[str, Any], key: str) -> List[str]:
    """``params[key]``, a non-empty list of strings.

    Raises:
        InvalidParams: missing, empty, or not a list of strings.
    """
    value = params.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        raise InvalidParams(f"{key!r} must be a non-empty list of ids")
    return value


def optional_flag(params: Mapping[str, Any], key: str, default: bool) -> bool:
    """``params[key]`` as a boolean, ``default`` when absent.

    Raises:
        InvalidParams: it is present but not a boolean.
    """
    value = params.get(key, default)
    if not isinstance(value, bool):
        raise InvalidParams(f"{key!r} must be true or false")
    return value


# ---- actions -------------------------------------------------------------------------------------------


def task_pause(call: Call) -> Any:
    return checked(api.pause_pipeline(call.runtime, call.target_id))


def task_resume(call: Call) -> Any:
    return checked(api.resume_pipeline(call.runtime, call.target_id))


def task_revoke(call: Call) -> Any:
    return checked(api.revoke_pipeline(call.runtime, call.target_id))


def node_retry(call: Call) -> Any:
    """``inputs`` (optional) replace the node's data inputs; without them the node runs as it was."""
    inputs = optional_object(call.params, "inputs")
    return checked(api.retry_node(call.runtime, call.target_id, data=inputs))


def node_skip(call: Call) -> Any:
    return checked(api.skip_node(call.runtime, call.target_id))


def node_callback(call: Call) -> Any:
    """``data`` (default ``{}``) goes to the node's schedule; ``version`` defaults to the current one."""
    data = optional_object(call.params, "data") or {}
    version = optional_text(call.params, "version") or _current_version(call)
    return checked(api.callback(call.runtime, call.target_id, version, data))


def node_skip_exg(call: Call) -> Any:
    flow_id = required_text(call.params, "flow_id")
    return checked(api.skip_exclusive_gateway(call.runtime, call.target_id, flow_id))


def node_skip_cpg(call: Call) -> Any:
    """``flow_ids`` to fork; ``converge_gateway_id`` defaults to the gateway's own converge gateway."""
    flow_ids = required_text_list(call.params, "flow_ids")
    converge_gateway_id = optional_text(call.params, "converge_gateway_id") or _converge_gateway_of(call)
    return checked(
        api.skip_conditional_parallel_gateway(call.runtime, call.target_id, flow_ids, converge_gateway_id)
    )


def node_forced_fail(call: Call) -> Any:
    """``ex_data`` (default: who forced it) becomes the node's error.

    ``send_post_set_state_signal`` defaults to false, as in upstream's engine_admin: receivers of
    ``post_set_state`` often start business reactions that an operator's repair should not trigger.
    """
    ex_data = optional_text(call.params, "ex_data") or f"forced fail by {call.operator or 'engine_admin'}"
    signal = optional_flag(call.params, "send_post_set_state_signal", False)
    return checked(api.forced_fail_activity(call.runtime, call.target_id, ex_data, signal))


def _current_version(call: Call) -> str:
    state = call.runtime.get_state_or_none(call.target_id)
    if state is None:
        raise TargetNotFound(f"node({call.target_id}) has no state")
    return state.version


def _converge_gateway_of(call: Call) -> str:
    try:
        node = call.runtime.get_node(call.target_id)
    except NotFoundError:
        raise TargetNotFound(f"node({call.target_id}) does not exist")
    converge_gateway_id = getattr(node, "converge_gateway_id", "")
    if not converge_gateway_id:
        raise InvalidParams(f"node({call.target_id}) has no converge gateway: pass 'converge_gateway_id'")
    return converge_gateway_id
