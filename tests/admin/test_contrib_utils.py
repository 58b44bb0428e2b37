"""The result wrapper shared by the contrib api functions."""

from bamboo_engine.api import EngineAPIResult
from pipeline.contrib.utils import PipelineContribAPIResult, ensure_return_pipeline_contrib_api_result


@ensure_return_pipeline_contrib_api_result
def _returns(value):
    return value


@ensure_return_pipeline_contrib_api_result
def _raises():
    raise KeyError("node n1 has no timeout config")


def test_return_value_becomes_successful_result():
    result = _returns({"id": 1})
    assert isinstance(result, PipelineContribAPIResult)
    assert isinstance(result, EngineAPIResult)
    assert (result.result, result.message, result.data, result.exc, result.exc_trace) == (
        True,
        "success",
        {"id": 1},
        None,
        None,
    )


def test_exception_becomes_failed_result_with_trace():
    result = _raises()
    assert isinstance(result, PipelineContribAPIResult)
    assert (result.result, result.message, result.data) == (False, "fail", None)
    assert isinstance(result.exc, KeyError)
    assert "node n1 has no timeout config" in result.exc_trace


def test_engine_api_result_keeps_its_outcome_in_the_contrib_class():
    error = ValueError("bad")
    result = _returns(EngineAPIResult(False, "fail", exc=error, data=None, exc_trace="trace"))
    assert type(result) is PipelineContribAPIResult
    assert (result.result, result.message, result.exc, result.exc_trace) == (False, "fail", error, "trace")


def test_contrib_result_is_passed_through_unchanged():
    original = PipelineContribAPIResult(True, "success", data=3)
    assert _returns(original) is original
    assert "PipelineContribAPIResult(result=True" in repr(original)


def test_wrapper_keeps_the_function_name():
    assert _returns.__name__ == "_returns"
