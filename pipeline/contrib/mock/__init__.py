"""``pipeline.contrib.mock``: give a failed node the outputs it should have produced, then carry on.

``api.update_node_outputs(root_pipeline_id, node_id, {"${key}": value})`` merges the values into the
node's execution outputs and writes them into the context keys the node's outputs map to, so skipping
the node lets the rest of the pipeline run on the mocked values (docs/mock.md).
"""
