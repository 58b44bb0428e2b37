"""The console page, the graph page and the JSON API of ``pipeline.contrib.engine_admin``.

The API answers ``{"result", "message", "data"}`` and, when an action is refused or fails, a 4xx status
with the same JSON (400 bad request, 403 not allowed or CSRF, 404 unknown id, 405 not POST, 409 the
target's state does not allow it). Actions are applied by :func:`pipeline.eri.operations.actions.perform`.
"""

import json
from typing import Any, Dict, Optional

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_GET

from pipeline.contrib.engine_admin import permissions
from pipeline.eri.operations import graph, inspect
from pipeline.eri.operations.actions import perform
from pipeline.eri.operations.applicable import buttons
from pipeline.eri.operations.audit import CONSOLE
from pipeline.eri.operations.results import BAD_REQUEST, FORBIDDEN, NOT_FOUND, Outcome

BAMBOO_ENGINE = "bamboo_engine"
PIPELINE_ENGINE = "pipeline_engine"
RECENT_LIMIT = 25
STATE_FILTERS = ("", "RUNNING", "SUSPENDED", "FINISHED", "REVOKED")


def answer(outcome: Outcome) -> JsonResponse:
    """The API's JSON answer of ``outcome``, with its status."""
    return JsonResponse(outcome.as_json(), status=outcome.status)


# ---- API ---------------------------------------------------------------------------------------------


class _JsonCsrfCheck(CsrfViewMiddleware):
    """Django's CSRF check, refusing with the API's JSON instead of the HTML failure page."""

    def _reject(self, request: HttpRequest, reason: str) -> HttpResponse:
        return answer(Outcome(False, f"CSRF verification failed: {reason}", status=FORBIDDEN))


def _csrf_refusal(request: HttpRequest) -> Optional[HttpResponse]:
    check = _JsonCsrfCheck(lambda _request: HttpResponse())
    check.process_request(request)
    return check.process_view(request, _csrf_protected, (), {})


def _csrf_protected(request: HttpRequest) -> None:
    """Stands for the API view in the CSRF check (which skips views marked ``csrf_exempt``)."""


# csrf_exempt only tells the project's CsrfViewMiddleware to leave the view alone: the view runs the same
# check itself (_csrf_refusal), so that a refusal is JSON, and so that it is checked even in a project
# without the middleware.
@csrf_exempt
def action_view(request: HttpRequest, engine_type: str, action: str, instance_id: str) -> HttpResponse:
    """``POST api/v1/<engine_type>/<action>/<instance_id>/`` with the action's parameters as a JSON body."""
    if request.method != "POST":
        response = answer(Outcome(False, f"{action} needs a POST request", status=405))
        response["Allow"] = "POST"
        return response
    csrf_refusal = _csrf_refusal(request)
    if csrf_refusal is not None:
        return csrf_refusal
    refusal = permissions.refusal(request, action, engine_type=engine_type, instance_id=instance_id)
    if refusal is not None:
        return answer(refusal)
    if engine_type != BAMBOO_ENGINE:
        message = f"{engine_type} is not supported: this installation runs {BAMBOO_ENGINE} only"
        return answer(Outcome(False, message, status=BAD_REQUEST))
    params = _json_body(request)
    if isinstance(params, Outcome):
        return answer(params)
    outcome = perform(
        action, instance_id, params, operator=permissions.operator_name(request), source=CONSOLE
    )
    return answer(outcome)


def _json_body(request: HttpRequest) -> Any:
    """The action's parameters, or the 400 :class:`Outcome` saying why the body cannot be read.

    A JSON body (``application/json``) must be an object; an empty body means no parameters. A form
    post's fields are taken as they are (strings), so a parameter that must be an object is refused
    by the action with a message rather than dropped.
    """
    if request.content_type not in ("application/json", ""):
        return {key: value for key, value in request.POST.items() if key != "csrfmiddlewaretoken"}
    if not request.body.strip():
        return {}
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as err:
        return Outcome(False, f"the request body is not JSON: {err}", status=BAD_REQUEST)
    if not isinstance(body, dict):
        return Outcome(False, "the request body must be a JSON object", status=BAD_REQUEST)
    return body


# ---- console page ------------------------------------------------------------------------------------


@ensure_csrf_cookie
def index(request: HttpRequest) -> HttpResponse:
    """The console: recent pipelines, or the pipeline searched by id with its nodes and processes."""
    refusal = permissions.refusal(request)
    if refusal is not None:
        return render(
            request, "engine_admin/refused.html", {"message": refusal.message, **_links()}, status=403
        )
    query = request.GET.get("pipeline_id", "").strip()
    state_filter = request.GET.get("state", "")
    context: Dict[str, Any] = {
        "query": query,
        "state_filter": state_filter,
        "state_filters": STATE_FILTERS,
        "api_base": f"{request.path}api/v1/{BAMBOO_ENGINE}/",
        **_links(),
    }
    if not query:
        context["recent"] = inspect.recent_pipelines(RECENT_LIMIT, state_filter)
        return render(request, "engine_admin/index.html", context)
    root_id = inspect.root_of(query)
    if root_id and root_id != query:  # a node id: show its pipeline, scrolled to the node
        return redirect(f"{request.path}?pipeline_id={root_id}#node-{query}")
    view = inspect.pipeline_view(_runtime(), root_id) if root_id else None
    if view is None:
        context["not_found"] = True
        return render(request, "engine_admin/index.html", context, status=404)
    allowed = permissions.allowed_actions(request)
    context.update(
        pipeline=view,
        pipeline_buttons=buttons(view.actions, allowed),
        node_rows=[{"node": node, "buttons": buttons(node.actions, allowed)} for node in view.nodes],
        process_rows=[{"process": p, "buttons": buttons(p.actions, allowed)} for p in view.processes],
    )
    return render(request, "engine_admin/index.html", context)


# ---- graph page --------------------------------------------------------------------------------------
# The graph page and its JSON follow the page's rule (permissions.refusal without an action): whoever may
# open the console may see a run's graph, and a custom permission check is called as for the page.

#: How often the graph page asks for the states of a live run.
GRAPH_POLL_MS = 2000


@require_GET
def graph_page(request: HttpRequest, root_id: str) -> HttpResponse:
    """The graph of a run; a node or subprocess id opens its root pipeline's graph with the node selected."""
    refusal = permissions.refusal(request)
    if refusal is not None:
        return render(
            request, "engine_admin/refused.html", {"message": refusal.message, **_links()}, status=403
        )
    found = inspect.root_of(root_id)
    if found and found != root_id:
        return redirect(f"{reverse('engine_admin:graph', kwargs={'root_id': found})}#{root_id}")
    context = {
        "query": root_id,
        "root_id": root_id,
        "console_url": reverse("engine_admin:index"),
        "poll_ms": GRAPH_POLL_MS,
        **_links(),
    }
    status = 200 if found else 404
    context["not_found"] = not found
    return render(request, "engine_admin/graph.html", context, status=status)


@require_GET
def graph_data(request: HttpRequest, root_id: str) -> HttpResponse:
    """The run's structure, layout and states (:func:`pipeline.eri.operations.graph.pipeline_graph`)."""
    return _graph_json(request, lambda: graph.pipeline_graph(root_id), f"no pipeline has the id {root_id}")


@require_GET
def graph_states(request: HttpRequest, root_id: str) -> HttpResponse:
    """What the page polls while the run is live (:func:`pipeline.eri.operations.graph.run_states`)."""
    return _graph_json(request, lambda: graph.run_states(root_id), f"no pipeline has the id {root_id}")


@require_GET
def graph_node(request: HttpRequest, root_id: str, node_id: str) -> HttpResponse:
    """The side panel of one node (:func:`pipeline.eri.operations.graph.node_panel`)."""
    return _graph_json(
        request, lambda: graph.node_panel(root_id, node_id), f"pipeline {root_id} has no node {node_id}"
    )


def _graph_json(request: HttpRequest, read: Any, missing: str) -> HttpResponse:
    refusal = permissions.refusal(request)
    if refusal is not None:
        return answer(refusal)
    data = read()
    if data is None:
        return answer(Outcome(False, missing, status=NOT_FOUND))
    # Compact separators: the graph of a 1,000-node run is a few hundred kilobytes, polled every 2 s.
    return JsonResponse(
        {"result": True, "message": "success", "data": data}, json_dumps_params={"separators": (",", ":")}
    )


def _links() -> Dict[str, str]:
    try:
        return {"admin_url": reverse("admin:index"), "login_url": reverse("admin:login")}
    except NoReverseMatch:
        return {"admin_url": "", "login_url": ""}


def _runtime() -> Any:
    from pipeline.eri.runtime import BambooDjangoRuntime

    return BambooDjangoRuntime()
