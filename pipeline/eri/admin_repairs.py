"""Repairs from the admin: audited operator actions on a pipeline's, a node's or a process's page.

The rows stay read-only. The change page of a *State* offers the actions that apply to that pipeline
(the root's state) or node, the change page of a *Process* its re-dispatch; each is a small form posted to
``<object_id>/repair/<action>/`` and applied by :func:`pipeline.eri.operations.actions.perform`, the same
layer as the engine_admin console's API. A user sees and may post only the actions whose permission
(``eri.<action>``) they hold; every post is recorded as an ``OperatorAction`` (listed under *Operator
actions*), and its outcome is shown as the page's message.
"""

import json
from typing import Any, Dict, List, Optional, Union

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.safestring import SafeString

from pipeline.eri import models
from pipeline.eri.admin_helpers import ReadOnlyAdmin, field_names, links, pretty_json
from pipeline.eri.operations import applicable, catalog, inspect
from pipeline.eri.operations.actions import can_perform, perform
from pipeline.eri.operations.audit import ADMIN
from pipeline.eri.operations.results import InvalidParams

#: Form fields that hold a JSON object.
JSON_FIELDS = frozenset({"inputs", "data"})
LIST_FIELDS = frozenset({"flow_ids"})


class RepairsMixin:
    """Adds the repair forms and their POST endpoint to a read-only admin of ``State`` or ``Process``."""

    change_form_template = "admin/eri/repairs_change_form.html"

    def get_urls(self) -> List[Any]:
        model_admin: Any = self
        opts = model_admin.model._meta
        repair = path(
            "<path:object_id>/repair/<str:action>/",
            model_admin.admin_site.admin_view(self.repair_view),
            name=f"{opts.app_label}_{opts.model_name}_repair",
        )
        return [repair, *super().get_urls()]  # type: ignore[misc]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        obj = self._object(request, object_id)
        context = dict(extra_context or {})
        if obj is not None:
            context.update(self.repair_context(request, obj))
        return super().change_view(request, object_id, form_url, context)  # type: ignore[misc]

    def repair_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        """Apply ``action`` to the object and come back to its page with the outcome as a message."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._object(request, object_id)
        if obj is None:
            raise Http404(f"no {self._model_name()} {object_id}")
        target_id = self.repair_target(obj, action)
        if target_id is None:
            raise Http404(f"{action} does not apply to this {self._model_name()}")
        if not can_perform(request.user, action):
            raise PermissionDenied(f"{action} needs the permission {catalog.BY_NAME[action].permission}")
        label = catalog.BY_NAME[action].label
        try:
            params = form_params(request.POST)
        except InvalidParams as err:
            messages.error(request, f"{label}: {err}")
            return redirect(self._change_url(obj))
        outcome = perform(action, target_id, params, operator=request.user.get_username(), source=ADMIN)
        level = messages.SUCCESS if outcome.result else messages.ERROR
        messages.add_message(request, level, f"{label} {target_id}: {outcome.message}")
        return redirect(self._change_url(obj))

    # -- per model ----------------------------------------------------------------------------------

    def repair_context(self, request: HttpRequest, obj: Any) -> Dict[str, Any]:
        raise NotImplementedError

    def repair_target(self, obj: Any, action: str) -> Optional[str]:
        """The id ``action`` applies to on ``obj``'s page, None when it does not apply there."""
        raise NotImplementedError

    def _object(self, request: HttpRequest, object_id: str) -> Any:
        model_admin: Any = self
        obj = model_admin.get_object(request, unquote(object_id))
        if obj is not None and not model_admin.has_view_permission(request, obj):
            raise PermissionDenied
        return obj

    def _model_name(self) -> str:
        model_admin: Any = self
        return str(model_admin.model._meta.verbose_name)

    def _change_url(self, obj: Any) -> str:
        model_admin: Any = self
        opts = model_admin.model._meta
        name = f"{model_admin.admin_site.name}:{opts.app_label}_{opts.model_name}_change"
        return reverse(name, args=[quote(obj.pk)])


def form_params(post: QueryDict) -> Dict[str, Union[str, list, dict]]:
    """The action's parameters from a repair form: JSON text areas parsed, empty fields left out.

    Raises:
        InvalidParams: a JSON field does not hold valid JSON.
    """
    params: Dict[str, Union[str, list, dict]] = {}
    for key in post:
        if key == "csrfmiddlewaretoken":
            continue
        if key in LIST_FIELDS:
            params[key] = post.getlist(key)
            continue
        value = post.get(key, "").strip()
        if not value:
            continue
        if key in JSON_FIELDS:
            try:
                params[key] = json.loads(value)
            except ValueError as err:
                raise InvalidParams(f"{key} is not valid JSON: {err}")
        else:
            params[key] = value
    return params


def _runtime() -> Any:
    from pipeline.eri.runtime import BambooDjangoRuntime

    return BambooDjangoRuntime()


class StateRepairs(RepairsMixin):
    """On a root pipeline's state: pause, resume, revoke. On a node's state: what applies to the node."""

    def repair_context(self, request: HttpRequest, obj: models.State) -> Dict[str, Any]:
        allowed = {name for name in catalog.BY_NAME if can_perform(request.user, name)}
        node = None
        actions = applicable.pipeline_actions(obj.name) if obj.node_id == obj.root_id else []
        if obj.node_id != obj.root_id:
            node = inspect.node_view(_runtime(), obj.node_id)
            actions = node.actions if node is not None else []
        offered = [button for button in applicable.buttons(actions, allowed) if button.allowed]
        return {"repairs": offered, "repair_node": node, "repair_hidden": len(actions) - len(offered)}

    def repair_target(self, obj: models.State, action: str) -> Optional[str]:
        spec = catalog.BY_NAME.get(action)
        if spec is None or spec.target == catalog.PROCESS:
            return None
        is_pipeline = obj.node_id == obj.root_id
        return obj.node_id if (spec.target == catalog.PIPELINE) == is_pipeline else None


class ProcessRepairs(RepairsMixin):
    """On a process: re-dispatch it through the healer when it is stuck."""

    def repair_context(self, request: HttpRequest, obj: models.Process) -> Dict[str, Any]:
        root_state = models.State.objects.filter(node_id=obj.root_pipeline_id).values_list("name", flat=True)
        actions = applicable.process_actions(root_state.first(), obj.dead, obj.suspended, obj.frozen)
        allowed = {name for name in actions if can_perform(request.user, name)}
        offered = [button for button in applicable.buttons(actions, allowed) if button.allowed]
        return {"repairs": offered, "repair_node": None, "repair_hidden": len(actions) - len(offered)}

    def repair_target(self, obj: models.Process, action: str) -> Optional[str]:
        return str(obj.id) if action == catalog.PROCESS_REDISPATCH else None


@admin.register(models.OperatorAction)
class OperatorActionAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "operator",
        "source",
        "action",
        "target_id",
        "root_pipeline_id",
        "succeeded",
        "message",
    )
    list_filter = ("action", "source", "succeeded", "created_at")
    search_fields = ("=root_pipeline_id", "=target_id", "=operator")
    fields = field_names(models.OperatorAction, exclude=["params"]) + ("pretty_params", "related")
    readonly_fields = ("pretty_params", "related")

    @admin.display(description="parameters")
    def pretty_params(self, obj: models.OperatorAction) -> SafeString:
        return pretty_json(obj.params)

    @admin.display(description="related")
    def related(self, obj: models.OperatorAction) -> SafeString:
        return links(
            ("pipeline states", "state", {"root_id": obj.root_pipeline_id}),
            ("target state", "state", {"node_id": obj.target_id}),
            ("actions on the pipeline", "operatoraction", {"root_pipeline_id": obj.root_pipeline_id}),
        )
