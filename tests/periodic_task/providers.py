"""Context providers the tests name in ``BAMBOO_PERIODIC_TASK_*_CONTEXT_PROVIER``."""

SEEN = []


def root_context(root_pipeline_data):
    SEEN.append(("root", dict(root_pipeline_data)))
    return {"${provided_by}": f"root provider for {root_pipeline_data.get('owner')}"}


def subprocess_context(root_pipeline_data):
    SEEN.append(("subprocess", dict(root_pipeline_data)))
    return {}
