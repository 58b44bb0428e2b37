"""Activities: service activities and sub-pipelines."""

from bamboo_engine.builder.flow.base import Element
from bamboo_engine.utils.collections import FancyDict

__all__ = ["ServiceActivity", "SubProcess", "SubCanvas"]

# Keyword arguments the legacy ``pipeline.builder`` accepted; tolerated and never written to the tree.
_LEGACY_KWARGS = ("failure_handler", "replace_id", "template_id")


def _drop_legacy_kwargs(kwargs):
    for key in _LEGACY_KWARGS:
        kwargs.pop(key, None)
    return kwargs


def _to_dict(value):
    return value.to_dict() if hasattr(value, "to_dict") else value


class ServiceActivity(Element):
    """A node that runs the component ``component_code``.

    Set inputs with ``act.component.inputs.<key> = Var(...)``. ``timeout`` is deprecated: it is
    copied to the tree and ignored by the engine. ``retry_policy``
    (:class:`~bamboo_engine.retry_policy.RetryPolicy` or its dict form) makes the engine retry a failure
    by itself (docs/retry-policy.md).
    """

    def __init__(
        self,
        component_code=None,
        error_ignorable=False,
        timeout=None,
        skippable=True,
        retryable=True,
        *args,
        **kwargs,
    ):
        # a keyword outside the published signature: RetryPolicy or its dict form, None = no policy
        retry_policy = kwargs.pop("retry_policy", None)
        super().__init__(*args, **_drop_legacy_kwargs(kwargs))
        self.component = FancyDict({"code": component_code, "inputs": FancyDict()})
        self.error_ignorable = error_ignorable
        self.timeout = timeout
        self.skippable = skippable
        self.retryable = retryable
        self.retry_policy = retry_policy

    def type(self):
        return "ServiceActivity"

    def component_dict(self):
        """The tree's ``component`` object; extra keys (e.g. ``version``) are kept as set."""
        component = {key: value for key, value in self.component.items() if key != "inputs"}
        component["inputs"] = {key: _to_dict(var) for key, var in self.component.inputs.items()}
        return component


class SubProcess(Element):
    """A node that runs a child pipeline whose start element is ``start``.

    Args:
        start: the child's start element.
        data: child pipeline data (:class:`~bamboo_engine.builder.flow.data.Data` or dict).
        params: values passed from the parent (``Params`` or dict ``{"${key}": Var}``).
        global_outputs: kept for compatibility; unused by the engine.
    """

    def __init__(self, start=None, data=None, params=None, global_outputs=None, *args, **kwargs):
        super().__init__(*args, **_drop_legacy_kwargs(kwargs))
        self.start = start
        self.data = data
        self.params = params if params is not None else {}
        self.global_outputs = FancyDict(global_outputs or {})

    def type(self):
        return "SubProcess"


class SubCanvas(Element):
    """A node that runs a child pipeline sharing a copy of the parent context (no ``params``)."""

    def __init__(
        self, start=None, data=None, params=None, global_outputs=None, replace_id=False, *args, **kwargs
    ):
        super().__init__(*args, **_drop_legacy_kwargs(kwargs))
        self.start = start
        self.data = data
        self.params = params if params is not None else {}
        self.global_outputs = FancyDict(global_outputs or {})
        self.replace_id = replace_id

    def type(self):
        return "SubCanvas"
