"""The public functions and models of both apps: configs in the tree, configs in the database."""

import json

import pytest

from pipeline.contrib.node_timeout.api import apply_node_timout_configs, batch_create_node_timeout_config
from pipeline.contrib.node_timeout.models import TimeoutNodeConfig
from pipeline.contrib.node_timer_event.api import (
    apply_node_timer_event_configs,
    batch_create_node_timer_event_config,
)
from pipeline.contrib.node_timer_event.models import NodeTimerEventConfig
from pipeline.contrib.utils import PipelineContribAPIResult
from tests.contract.trees import activity, linear_tree, subprocess


def _tree_with_subprocess():
    outer, inner, other = activity("empty_node"), activity("empty_node"), activity("empty_node")
    sub = subprocess(inner)
    return linear_tree(outer, sub, other), outer.id, inner.id, other.id, sub.id


def _activity(tree, node_id):
    for act_id, act in tree["activities"].items():
        if act_id == node_id:
            return act
        if act["type"] == "SubProcess":
            found = _activity(act["pipeline"], node_id)
            if found is not None:
                return found
    return None


def test_apply_node_timout_configs_writes_the_tree_subprocesses_included_and_returns_it():
    tree, outer, inner, other, sub = _tree_with_subprocess()
    configs = {
        outer: {"enable": True, "action": "forced_fail", "seconds": 10},
        inner: {"enable": False, "action": "forced_fail_and_skip", "seconds": 3},
        sub: {"enable": True, "action": "forced_fail", "seconds": 1},
    }
    returned = apply_node_timout_configs(tree, configs)
    assert returned is tree
    assert _activity(tree, outer)["timeout_config"] == {
        "enable": True,
        "action": "forced_fail",
        "seconds": 10,
    }
    assert _activity(tree, inner)["timeout_config"] == {
        "enable": False,
        "action": "forced_fail_and_skip",
        "seconds": 3,
    }
    assert "timeout_config" not in _activity(tree, other)
    assert "timeout_config" not in tree["activities"][sub]  # SubProcess nodes have no timeout


@pytest.mark.django_db
def test_batch_create_node_timeout_config_stores_enabled_configs_and_names_refused_ones():
    tree, outer, inner, other, _ = _tree_with_subprocess()
    apply_node_timout_configs(
        tree,
        {
            outer: {"enable": True, "action": "forced_fail", "seconds": "10"},
            inner: {"enable": True, "action": "forced_fail_and_skip", "seconds": 3},
            other: {"enable": True, "action": "forced_fail", "seconds": 0},
        },
    )
    result = batch_create_node_timeout_config("root1", tree)
    assert result["result"] is True
    assert sorted(config.node_id for config in result["data"]) == sorted([outer, inner])
    assert f"node {other}: timeout seconds must be a positive integer, got 0" in result["message"]
    stored = {
        row.node_id: (row.root_pipeline_id, row.action, row.timeout)
        for row in TimeoutNodeConfig.objects.all()
    }
    assert stored == {outer: ("root1", "forced_fail", 10), inner: ("root1", "forced_fail_and_skip", 3)}


def test_apply_node_timer_event_configs_is_wrapped_and_returns_the_updated_tree():
    tree, outer, inner, _, _ = _tree_with_subprocess()
    timer = {"enable": True, "action": "example", "timer_type": "time_cycle", "defined": "R5/PT10S"}
    result = apply_node_timer_event_configs(tree, {inner: [dict(timer, extra="dropped")]})
    assert isinstance(result, PipelineContribAPIResult) and result.result
    assert result.data is tree
    assert _activity(tree, inner)["events"]["timer_events"] == [timer]
    assert "events" not in _activity(tree, outer)

    broken = apply_node_timer_event_configs({"activities": None}, {})
    assert broken.result is False and broken.exc is not None


@pytest.mark.django_db
def test_batch_create_node_timer_event_config_numbers_the_timers_and_names_refused_ones():
    tree, outer, inner, _, _ = _tree_with_subprocess()
    apply_node_timer_event_configs(
        tree,
        {
            inner: [
                {"enable": True, "action": "example", "timer_type": "time_cycle", "defined": "R3/PT1S"},
                {"enable": False, "action": "example", "timer_type": "time_duration", "defined": "PT1S"},
                {"enable": True, "action": "example", "timer_type": "time_duration", "defined": "soon"},
                {
                    "enable": True,
                    "action": "bamboo_engine_forced_fail",
                    "timer_type": "time_duration",
                    "defined": "PT1M",
                },
            ]
        },
    )
    result = batch_create_node_timer_event_config("root2", tree)
    assert result.result is True
    assert result.data["result"] is True
    assert f"node {inner}: timer 'time_duration' 'soon' refused" in result.data["message"]
    [config] = NodeTimerEventConfig.objects.all()
    assert (config.root_pipeline_id, config.node_id) == ("root2", inner)
    assert (
        config.get_events()
        == json.loads(config.events)
        == [
            {
                "index": 1,
                "action": "example",
                "timer_type": "time_cycle",
                "repetitions": 3,
                "defined": "R3/PT1S",
            },
            {
                "index": 2,
                "action": "bamboo_engine_forced_fail",
                "timer_type": "time_duration",
                "repetitions": 1,
                "defined": "PT1M",
            },
        ]
    )
