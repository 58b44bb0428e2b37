"""Who may use the console and its API.

With ``PIPELINE_ENGINE_ADMIN_API_PERMISSION`` set, the object at that dotted path decides alone, as in
upstream: a function ``f(request, *args, **kwargs) -> bool`` called with the view's URL arguments, or a
class with ``has_permission(request, view)`` (a Django REST framework permission class, for instance).
Unset, the console is for active staff users: the page needs the ``eri.view_state`` permission or any
action permission, and each action its own (``eri.task_pause``, ``eri.node_retry``, ...).
"""

import inspect
import logging
from typing import Any, Iterable, Optional, Set

from django.http import HttpRequest
from django.utils.module_loading import import_string

from pipeline.conf import settings
from pipeline.eri.operations import catalog
from pipeline.eri.operations.actions import can_perform
from pipeline.eri.operations.results import FORBIDDEN, Outcome

logger = logging.getLogger(__name__)

SETTING = "PIPELINE_ENGINE_ADMIN_API_PERMISSION"
VIEW_PERMISSION = "eri.view_state"


def refusal(request: HttpRequest, action: Optional[str] = None, **url_kwargs: Any) -> Optional[Outcome]:
    """None when ``request`` may open the console (``action`` None) or apply ``action``; else why not."""
    path = getattr(settings, SETTING, None)
    if path:
        return _custom_refusal(path, request, url_kwargs)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return Outcome(False, "log in as a staff user to use the engine admin", status=FORBIDDEN)
    if not (user.is_active and user.is_staff):
        return Outcome(False, "the engine admin is for staff users only", status=FORBIDDEN)
    if action is None:
        if user.has_perm(VIEW_PERMISSION) or allowed_actions(request):
            return None
        return Outcome(
            False, f"{user.get_username()} may not view pipelines ({VIEW_PERMISSION})", status=FORBIDDEN
        )
    if can_perform(user, action):
        return None
    permission = catalog.BY_NAME[action].permission
    return Outcome(False, f"{user.get_username()} lacks the permission {permission}", status=FORBIDDEN)


def allowed_actions(request: HttpRequest, names: Iterable[str] = catalog.BY_NAME) -> Set[str]:
    """The actions whose buttons are enabled for ``request`` (all of them when a custom check decides)."""
    if getattr(settings, SETTING, None):
        return set(names)
    user = getattr(request, "user", None)
    return {name for name in names if can_perform(user, name)}


def operator_name(request: HttpRequest) -> str:
    """Who is asking, for the audit row."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.get_username()
    return "anonymous"


def _custom_refusal(path: str, request: HttpRequest, url_kwargs: dict) -> Optional[Outcome]:
    try:
        check = import_string(path)
    except ImportError:
        logger.error("%s = %r cannot be imported: every request is refused", SETTING, path)
        return Outcome(False, f"{SETTING} cannot be imported: every request is refused", status=FORBIDDEN)
    if inspect.isclass(check):
        allowed = check().has_permission(request, None)
    else:
        allowed = check(request, **url_kwargs)
    if allowed:
        return None
    return Outcome(False, "You have no permission to call pipeline engine admin api.", status=FORBIDDEN)
