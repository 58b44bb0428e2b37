"""Pipeline tree validation: structure, connections, cycles, gateway matching and streams."""

from bamboo_engine.validator.api import (
    add_sink_type,
    get_allowed_start_node_ids,
    get_skipped_execute_node_ids,
    validate_and_process_pipeline,
    validate_pipeline_start_node,
)

__all__ = [
    "validate_and_process_pipeline",
    "validate_pipeline_start_node",
    "get_allowed_start_node_ids",
    "get_skipped_execute_node_ids",
    "add_sink_type",
]
