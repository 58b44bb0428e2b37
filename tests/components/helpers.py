"""Helpers of the component framework tests: run components through the in-memory runtime."""

from bamboo_engine import api
from bamboo_engine.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, Var, build_tree
from pipeline.component_framework.library import ComponentLibrary


def register_components(rt, *codes, version=None):
    """Register the bound services of the given component codes into an in-memory runtime."""
    for code in codes:
        component_cls = ComponentLibrary.get_component_class(code, version)
        rt.register_service(code, component_cls.bound_service, version=component_cls.version)


def single_activity_tree(code, inputs=None, end=None):
    """``start → ServiceActivity(code, plain inputs) → end``; returns ``(tree, activity)``."""
    start, activity, end = EmptyStartEvent(), ServiceActivity(component_code=code), end or EmptyEndEvent()
    for key, value in (inputs or {}).items():
        setattr(activity.component.inputs, key, Var(type=Var.PLAIN, value=value))
    start.extend(activity).extend(end)
    return build_tree(start), activity


def run_single_activity(rt, code, inputs=None, **run_options):
    """Run ``code`` as the only activity of a pipeline until nothing is runnable; returns the activity id."""
    tree, activity = single_activity_tree(code, inputs)
    register_components(rt, code)
    result = api.run_pipeline(rt, tree, **run_options)
    assert result.result, result.exc_trace
    rt.run_until_idle()
    return tree, activity.id


def outputs_of(rt, node_id):
    result = api.get_execution_data_outputs(rt, node_id)
    assert result.result, result.exc_trace
    return result.data
