"""Names of the pipeline tree format: ``PE.<name>`` is the string used in trees (node types, keys).

For code written against the tree format by name (``tree[PE.activities]``, ``node[PE.type] ==
PE.ServiceActivity``). The engine's own spelling of the same strings is in ``bamboo_engine.eri.NodeType``.
"""

from bamboo_engine.eri import NodeType

__all__ = ["PE", "PipelineElement", "ESCAPED_CHARS"]


class PipelineElement:
    """Tree keys and node type names, each attribute equal to its string."""

    # the node type names are the engine's own strings, not a second spelling of them
    ServiceActivity = NodeType.ServiceActivity.value
    SubProcess = NodeType.SubProcess.value
    SubCanvas = NodeType.SubCanvas.value
    ExclusiveGateway = NodeType.ExclusiveGateway.value
    ParallelGateway = NodeType.ParallelGateway.value
    ConditionalParallelGateway = NodeType.ConditionalParallelGateway.value
    ConvergeGateway = NodeType.ConvergeGateway.value
    EmptyStartEvent = NodeType.EmptyStartEvent.value
    EmptyEndEvent = NodeType.EmptyEndEvent.value

    Activities = {ServiceActivity, SubCanvas}
    TaskNodes = {ServiceActivity, SubProcess, SubCanvas}
    BranchGateways = {ExclusiveGateway, ParallelGateway, ConditionalParallelGateway}
    Gateways = {ExclusiveGateway, ParallelGateway, ConditionalParallelGateway, ConvergeGateway}

    pipeline = "pipeline"
    id = "id"
    type = "type"
    start_event = "start_event"
    end_event = "end_event"
    activities = "activities"
    flows = "flows"
    gateways = "gateways"
    constants = "constants"
    conditions = "conditions"
    default_condition = "default_condition"
    incoming = "incoming"
    outgoing = "outgoing"
    source = "source"
    target = "target"
    data = "data"
    component = "component"
    evaluate = "evaluate"
    name = "name"
    stage_name = "stage_name"
    failure_handler = "failure_handler"
    inputs = "inputs"
    outputs = "outputs"
    pre_render_keys = "pre_render_keys"
    source_act = "source_act"
    source_key = "source_key"
    code = "code"
    error_ignorable = "error_ignorable"
    skippable = "skippable"
    skippable_old = "isSkipped"
    retryable = "retryable"
    retryable_old = "can_retry"
    timeout = "timeout"
    loop_times = "loop_times"
    converge_gateway_id = "converge_gateway_id"
    is_param = "is_param"
    value = "value"
    params = "params"
    is_default = "is_default"
    optional = "optional"
    template_id = "template_id"
    plain = "plain"
    splice = "splice"
    lazy = "lazy"
    version = "version"
    subprocess_detail = "subprocess_detail"
    custom_type = "custom_type"


PE = PipelineElement()

#: Control characters escaped in rendered strings, and their escaped form.
ESCAPED_CHARS = {"\n": r"\n", "\r": r"\r", "\t": r"\t"}
