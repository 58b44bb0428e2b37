"""Turning a validated pipeline tree into the ERI records a runtime persists.

Pure functions shared by every runtime (in-memory and Django), so both store exactly the same nodes,
data, context values and references for the same tree.
"""

from bamboo_engine.prepare.records import (
    PreparedPipeline,
    lazy_input_key,
    prepare_pipeline,
    reference_closure,
    stream_pipeline,
)

__all__ = ["PreparedPipeline", "lazy_input_key", "prepare_pipeline", "reference_closure", "stream_pipeline"]
