"""Tests of node timeouts and timer events (``pipeline.contrib.node_timeout``, ``node_timer_event``)."""
