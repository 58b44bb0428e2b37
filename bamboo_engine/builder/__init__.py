"""Build pipeline trees in Python: ``from bamboo_engine.builder import *``."""

from bamboo_engine.builder import builder, flow
from bamboo_engine.builder.builder import build_tree
from bamboo_engine.builder.flow import activity, base, data, event, gateway
from bamboo_engine.builder.flow.activity import ServiceActivity, SubCanvas, SubProcess
from bamboo_engine.builder.flow.data import (
    Data,
    DataInput,
    InitializedRewritableNodeOutput,
    NodeOutput,
    Params,
    RewritableNodeOutput,
    Var,
)
from bamboo_engine.builder.flow.event import EmptyEndEvent, EmptyStartEvent, ExecutableEndEvent
from bamboo_engine.builder.flow.gateway import (
    ConditionalParallelGateway,
    ConvergeGateway,
    ExclusiveGateway,
    ParallelGateway,
)
from bamboo_engine.retry_policy import RetryPolicy
from bamboo_engine.utils.collections import FancyDict

__all__ = [
    "EmptyStartEvent",
    "EmptyEndEvent",
    "ExecutableEndEvent",
    "ServiceActivity",
    "RetryPolicy",
    "SubProcess",
    "SubCanvas",
    "ParallelGateway",
    "ExclusiveGateway",
    "ConditionalParallelGateway",
    "ConvergeGateway",
    "Data",
    "Params",
    "Var",
    "DataInput",
    "NodeOutput",
    "RewritableNodeOutput",
    "InitializedRewritableNodeOutput",
    "FancyDict",
    "build_tree",
    "activity",
    "base",
    "builder",
    "data",
    "event",
    "flow",
    "gateway",
]
