"""Signal receivers of ``pipeline.contrib.node_timeout``."""
