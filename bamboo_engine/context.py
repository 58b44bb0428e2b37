"""The data context of a (sub)pipeline: resolves PLAIN, SPLICE and COMPUTE values and stores outputs.

A :class:`Context` holds only the values a caller loaded (usually the keys its templates reference plus
their transitive references, see :func:`load_context_for_templates`), so hydrating it is cheap and one
``get_context_values`` call feeds a whole node.
"""

import copy
import logging
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple, Type

from bamboo_engine.config import Settings
from bamboo_engine.eri.models.node import Node
from bamboo_engine.eri.models.runtime import ContextValue, ContextValueType
from bamboo_engine.exceptions import EngineException, RenderInfrastructureError
from bamboo_engine.template import Template
from bamboo_engine.utils.string import deformat_var_key, format_var_key

logger = logging.getLogger("bamboo_engine")

_UNVISITED, _VISITING, _DONE = 0, 1, 2


class ContextHydrateError(EngineException):
    """A context value could not be resolved.

    Attributes:
        key: the failing key (``${name}`` form).
        error: the underlying error (also ``__cause__``).
    """

    def __init__(self, key: str, error: Exception):
        self.key = key
        self.error = error
        super().__init__(f"{key}: {error}")


class _ResolvedVariable:
    """The ``Variable`` handed to compute variables: yields the splice-rendered source value."""

    def __init__(self, value: Any):
        self._value = value

    def get(self) -> Any:
        return self._value


class _Resolution:
    """The outcome of resolving one key: a value or the error that prevented it."""

    __slots__ = ("value", "error")

    def __init__(self, value: Any = None, error: Optional[Exception] = None):
        self.value = value
        self.error = error


class Context:
    """Variables of one (sub)pipeline, resolved lazily on :meth:`hydrate`.

    Args:
        runtime: the engine runtime (compute variables and output upserts go through it).
        values: the context values to resolve; keys in ``${name}`` form.
        additional_data: root pipeline data, passed to compute variables as ``pipeline_data``.
        inner_loop: loop counter passed to compute variables.
    """

    def __init__(self, runtime, values: List[ContextValue], additional_data: dict, inner_loop: int = -1):
        self.runtime = runtime
        self.values: Dict[str, ContextValue] = {cv.key: cv for cv in values}
        self.additional_data = additional_data
        self.inner_loop = inner_loop
        self._resolved: Dict[str, _Resolution] = {}
        self._references: Dict[str, Set[str]] = {}

    # ------------------------------------------------------------------ resolution

    def hydrate(self, deformat: bool = False, mute_error: bool = False) -> Dict[str, Any]:
        """Resolve every value.

        Args:
            deformat: return keys as ``name`` instead of ``${name}``.
            mute_error: a key that fails to resolve maps to ``str(error)`` instead of raising.

        Raises:
            ContextHydrateError: a key failed to resolve and ``mute_error`` is False.
            RenderInfrastructureError: the render backend failed (never muted).
            Exception: a runtime interrupt error (``runtime.interrupt_errors()``) propagates as is, so
                the engine can re-dispatch instead of failing the node.
        """
        hydrated: Dict[str, Any] = {}
        for key in self.values:
            resolution = self._resolve(key)
            value: Any
            if resolution.error is not None:
                if not mute_error:
                    raise ContextHydrateError(key, resolution.error) from resolution.error
                value = str(resolution.error)
            else:
                value = resolution.value
            hydrated[deformat_var_key(key) if deformat else key] = value
        return hydrated

    def _references_of(self, key: str) -> Set[str]:
        """Keys of this context referenced by the (template) value of ``key``."""
        if key not in self._references:
            cv = self.values[key]
            refs: Set[str] = set()
            if cv.type != ContextValueType.PLAIN:
                refs = {ref for ref in Template(cv.value).get_reference() if ref in self.values}
            self._references[key] = refs
        return self._references[key]

    def _resolve(self, key: str) -> _Resolution:
        """Resolve ``key`` after its references, depth first without recursion.

        A reference back to a key that is still being resolved (a reference cycle) is left out of the
        render namespace, so its fragment stays as inert text instead of recursing forever.
        """
        marks: Dict[str, int] = {}
        stack = [key]
        while stack:
            current = stack[-1]
            if current in self._resolved:
                stack.pop()
                continue
            if marks.get(current, _UNVISITED) == _UNVISITED:
                marks[current] = _VISITING
                pending = [
                    ref
                    for ref in self._references_of(current)
                    if ref not in self._resolved and marks.get(ref, _UNVISITED) == _UNVISITED
                ]
                stack.extend(pending)
                if pending:
                    continue
            self._resolved[current] = self._compute(current)
            marks[current] = _DONE
            stack.pop()
        return self._resolved[key]

    def _compute(self, key: str) -> _Resolution:
        """Resolve one key whose resolvable references are already in ``self._resolved``."""
        cv = self.values[key]
        if cv.type == ContextValueType.PLAIN:
            return _Resolution(cv.value)
        namespace = {}
        for ref in self._references_of(key):
            resolution = self._resolved.get(ref)
            if resolution is None:
                continue  # cut reference cycle: leave the fragment unrendered
            if resolution.error is not None:
                return _Resolution(error=resolution.error)
            namespace[deformat_var_key(ref)] = resolution.value
        try:
            rendered = Template(copy.deepcopy(cv.value)).render(namespace)
            if cv.type == ContextValueType.COMPUTE:
                variable = self.runtime.get_compute_variable(
                    cv.code, key, _ResolvedVariable(rendered), self.additional_data, self.inner_loop
                )
                rendered = variable.get()
        except RenderInfrastructureError:
            raise
        except Exception as err:  # reported per key; hydrate decides to raise or mute
            if isinstance(err, self._interrupt_errors()):
                raise
            logger.warning("context value %s resolve failed: %s", key, err, exc_info=True)
            return _Resolution(error=err)
        return _Resolution(rendered)

    def _interrupt_errors(self) -> Tuple[Type[BaseException], ...]:
        try:
            return tuple(self.runtime.interrupt_errors())
        except Exception:  # noqa: BLE001 - a runtime without the method has no interrupt errors
            return ()

    # ------------------------------------------------------------------ outputs

    def extract_outputs(
        self,
        pipeline_id: str,
        data_outputs: Dict[str, str],
        execution_data_outputs: dict,
        node: Optional[Node] = None,
    ) -> None:
        """Write a node's mapped outputs into the context of ``pipeline_id`` as PLAIN values.

        Args:
            data_outputs: the node's output mapping ``{origin_key: context_key}``.
            execution_data_outputs: the outputs the node produced.
            node: the node; a loop-enabled node aggregates its iterations instead.
        """
        if node is not None and node.loop_enabled:
            update = self._loop_aggregation_update(pipeline_id, data_outputs, execution_data_outputs, node)
        else:
            update = {
                context_key: ContextValue(context_key, ContextValueType.PLAIN, execution_data_outputs[origin])
                for origin, context_key in data_outputs.items()
                if origin in execution_data_outputs
            }
        if update:
            self.runtime.upsert_plain_context_values(pipeline_id, update)
            for context_key, cv in update.items():
                self._sync_written_value(context_key, cv)

    def _loop_aggregation_update(
        self, pipeline_id: str, data_outputs: Dict[str, str], outputs: dict, node: Node
    ) -> Dict[str, ContextValue]:
        """Append this iteration's outputs to the list under the node's loop ``outputs_key``."""
        context_key = _mapped_context_key(data_outputs, node.loop_outputs_key)
        if context_key is None:
            return {}
        inner_value = outputs.get(Settings.LOOP_OUTPUTS_INNER_KEY)
        if isinstance(inner_value, dict):
            item = dict(inner_value)
        elif inner_value is None:
            item = {}
        else:
            item = {Settings.LOOP_OUTPUTS_INNER_KEY: inner_value}
        inner_loop = outputs.get("_inner_loop", self.inner_loop)
        item["result"] = outputs.get("_result")
        item["inner_loop"] = inner_loop
        aggregated: List[Any] = []
        # The first iteration of a (re)started loop begins a new list; later ones append.
        if inner_loop is None or inner_loop > 1:
            existing = self.runtime.get_context_values(pipeline_id, {context_key})
            if existing and isinstance(existing[0].value, list):
                aggregated = list(existing[0].value)
        aggregated.append(item)
        return {context_key: ContextValue(context_key, ContextValueType.PLAIN, aggregated)}

    def _sync_written_value(self, key: str, cv: ContextValue) -> None:
        """Keep this context in step with a value just written, if it holds that key."""
        if key in self.values:
            self.values[key] = cv
            self._resolved.clear()
            self._references.clear()


def _mapped_context_key(data_outputs: Dict[str, str], outputs_key: str) -> Optional[str]:
    """The mapped context key equal to ``outputs_key`` (accepting ``name`` or ``${name}``)."""
    candidates = {outputs_key, format_var_key(deformat_var_key(outputs_key))}
    for context_key in data_outputs.values():
        if context_key in candidates:
            return context_key
    return None


# ---------------------------------------------------------------------- loading helpers


def load_context_for_keys(
    runtime,
    pipeline_id: str,
    keys: Iterable[str],
    additional_data: Optional[dict] = None,
    inner_loop: int = -1,
    root_pipeline_id: Optional[str] = None,
    extra_values: Optional[List[ContextValue]] = None,
) -> Context:
    """Load ``keys`` of ``pipeline_id`` plus their transitive references into a :class:`Context`.

    Costs one runtime call when the values of ``keys`` reference nothing outside ``keys`` (the common
    case: plain constants), two when those references are plain, at most four otherwise, and none when
    ``keys`` is empty.

    Args:
        keys: context keys in ``${name}`` form.
        additional_data: root pipeline data for compute variables; when None and a COMPUTE value is
            loaded, it is read from ``root_pipeline_id``'s data inputs.
        extra_values: values that override loaded ones (e.g. fresh loop counters).
    """
    values = _load_values_with_references(runtime, pipeline_id, set(keys))
    if extra_values:
        overridden = {cv.key for cv in extra_values}
        values = [cv for cv in values if cv.key not in overridden] + list(extra_values)
    if additional_data is None:
        has_compute = any(cv.type == ContextValueType.COMPUTE for cv in values)
        additional_data = (
            root_pipeline_inputs(runtime, root_pipeline_id) if has_compute and root_pipeline_id else {}
        )
    return Context(runtime, values, additional_data, inner_loop)


def _load_values_with_references(runtime, pipeline_id: str, keys: Set[str]) -> List[ContextValue]:
    """The values of ``keys`` plus those they transitively reference.

    Values are read first and their references followed from what was read, since most templates
    reference plain constants (one call) or values that reference plain constants (two calls). A
    deeper chain falls back to the stored transitive references for the rest.
    """
    if not keys:
        return []
    requested = set(keys)
    values = list(runtime.get_context_values(pipeline_id, requested))
    missing = _unloaded_references(values, requested)
    if missing:
        requested |= missing
        more = list(runtime.get_context_values(pipeline_id, missing))
        values += more
        missing = _unloaded_references(more, requested)
    if missing:
        missing = set(runtime.get_context_key_references(pipeline_id, requested) or ()) - requested
        if missing:
            values += runtime.get_context_values(pipeline_id, missing)
    return values


def _unloaded_references(values: List[ContextValue], requested: Set[str]) -> Set[str]:
    """Keys referenced by the template ``values`` that were not requested yet."""
    referenced: Set[str] = set()
    for cv in values:
        if cv.type != ContextValueType.PLAIN:
            referenced |= Template(cv.value).get_reference()
    return referenced - requested


def load_context_for_templates(
    runtime,
    pipeline_id: str,
    data: Any,
    additional_data: Optional[dict] = None,
    inner_loop: int = -1,
    root_pipeline_id: Optional[str] = None,
    extra_values: Optional[List[ContextValue]] = None,
) -> Context:
    """A :class:`Context` holding every value the ``${}`` references in ``data`` need.

    ``data`` is anything :class:`~bamboo_engine.template.Template` accepts (str, list, dict...).
    See :func:`load_context_for_keys` for the other arguments.
    """
    references = Template(data).get_reference()
    return load_context_for_keys(
        runtime,
        pipeline_id,
        references,
        additional_data=additional_data,
        inner_loop=inner_loop,
        root_pipeline_id=root_pipeline_id,
        extra_values=extra_values,
    )


def root_pipeline_inputs(runtime, root_pipeline_id: str) -> Dict[str, Any]:
    """``{key: value}`` of the root pipeline's data inputs (services' ``parent_data``)."""
    return {key: di.value for key, di in runtime.get_data_inputs(root_pipeline_id).items()}
