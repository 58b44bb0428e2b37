"""The root pipeline and subprocess context of a periodic run, from the project's providers.

Settings (names as projects already spell them): ``BAMBOO_PERIODIC_TASK_ROOT_PIPELINE_CONTEXT_PROVIER``
and ``BAMBOO_PERIODIC_TASK_SUBPROCESS_CONTEXT_PROVIER``, each the dotted path of
``f(root_pipeline_data: dict) -> dict``. Unset: an empty context. A path that does not import raises, so
the start fails and its history row says why (rather than a run without the context it expects).
"""

from typing import Any, Dict

from django.utils.module_loading import import_string

from pipeline.conf import settings


def _provided(setting_name: str, root_pipeline_data: Dict[str, Any]) -> Dict[str, Any]:
    path = getattr(settings, setting_name)
    if not path:
        return {}
    provider = import_string(path)
    return dict(provider(root_pipeline_data) or {})


def get_periodic_task_root_pipeline_context(root_pipeline_data: Dict[str, Any]) -> Dict[str, Any]:
    """``root_pipeline_context`` of the run (the provider's answer, or ``{}``)."""
    return _provided("BAMBOO_PERIODIC_TASK_ROOT_PIPELINE_CONTEXT_PROVIER", root_pipeline_data)


def get_periodic_task_subprocess_context(root_pipeline_data: Dict[str, Any]) -> Dict[str, Any]:
    """``subprocess_context`` of the run (the provider's answer, or ``{}``)."""
    return _provided("BAMBOO_PERIODIC_TASK_SUBPROCESS_CONTEXT_PROVIER", root_pipeline_data)
