"""Signal receivers of ``pipeline.contrib.node_timer_event``."""
