"""Constants shared by the engine and runtimes."""

from enum import Enum

from bamboo_engine.eri.models.runtime import ContextValueType

VAR_CONTEXT_MAPPING = {
    "plain": ContextValueType.PLAIN,
    "splice": ContextValueType.SPLICE,
    "lazy": ContextValueType.COMPUTE,
}


class ExclusiveGatewayStrategy(Enum):
    ONLY = 1
    FIRST = 2


class RuntimeSettings(Enum):
    PIPELINE_EXCLUSIVE_GATEWAY_EXPR_FUNC = "PIPELINE_EXCLUSIVE_GATEWAY_EXPR_FUNC"
    PIPELINE_EXCLUSIVE_GATEWAY_STRATEGY = "PIPELINE_EXCLUSIVE_GATEWAY_STRATEGY"
    PIPELINE_ENABLE_ROLLBACK = "PIPELINE_ENABLE_ROLLBACK"


RUNTIME_ALLOWED_CONFIG = [s.value for s in RuntimeSettings]
