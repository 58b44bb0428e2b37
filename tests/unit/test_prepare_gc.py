"""``bamboo_engine.prepare.gc.cyclic_gc_paused``: no cyclic collection inside, the caller's state after."""

import gc

import pytest

from bamboo_engine.prepare.gc import cyclic_gc_paused


@pytest.fixture(autouse=True)
def _restore_gc():
    enabled = gc.isenabled()
    yield
    (gc.enable if enabled else gc.disable)()


def test_collection_is_off_inside_and_back_on_after():
    gc.enable()
    with cyclic_gc_paused():
        assert not gc.isenabled()
        with cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled(), "a nested block must not switch collection back on early"
    assert gc.isenabled()


def test_collection_is_back_on_after_an_exception():
    gc.enable()
    with pytest.raises(ValueError), cyclic_gc_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_collector_disabled_by_the_application_stays_disabled():
    gc.disable()
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_validation_runs_with_collection_paused(monkeypatch):
    from bamboo_engine.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, build_tree
    from bamboo_engine.validator import analysis, validate_and_process_pipeline

    seen = []
    original = analysis.TreeAnalysis.__init__

    def spy(self, *args, **kwargs):
        seen.append(gc.isenabled())
        original(self, *args, **kwargs)

    monkeypatch.setattr(analysis.TreeAnalysis, "__init__", spy)
    start = EmptyStartEvent()
    start.extend(ServiceActivity(component_code="debug_node")).extend(EmptyEndEvent())
    gc.enable()
    validate_and_process_pipeline(build_tree(start))
    assert seen == [False] and gc.isenabled()


def test_preparation_runs_with_collection_paused(monkeypatch):
    from bamboo_engine.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, build_tree
    from bamboo_engine.prepare import records
    from bamboo_engine.validator import validate_and_process_pipeline

    seen = []
    original = records.build_node

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return original(*args, **kwargs)

    monkeypatch.setattr(records, "build_node", spy)
    start = EmptyStartEvent()
    start.extend(ServiceActivity(component_code="debug_node")).extend(EmptyEndEvent())
    tree = build_tree(start)
    validate_and_process_pipeline(tree)
    gc.enable()
    prepared = records.prepare_pipeline(tree)
    assert seen == [False, False, False] and gc.isenabled()
    assert len(prepared.nodes) == 3
