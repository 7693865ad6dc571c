"""Request pages: one ask with its clocks, pauses and thread; the open-requests list."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.vary import vary_on_headers

from cdmo_portal.htmx import is_partial
from scorecards.api import request_clocks

from . import selectors, services
from .access import WRITE, get_scoped_or_404, sponsor_view
from .forms import PauseForm, ReclassifyForm, ReopenForm, StatusChangeForm
from .models import Request, RequestEvent
from .views import log_communication, new_log_form

REQUESTS_PER_PAGE = 50
STATE_FILTERS = {
    "": "All open",
    "running": "Running",
    "paused": "Paused",
    "breached": "Breached",
    "due_soon": "Due within",
}


@sponsor_view()
@vary_on_headers("HX-Request")
def request_list(request):
    """Open requests across the sponsor's projects, soonest due first (overdue on top)."""
    state = request.GET.get("state", "")
    state = state if state in STATE_FILTERS else ""
    try:
        hours = max(1, min(int(request.GET.get("hours", "24")), 24 * 30))
    except ValueError:
        hours = 24
    mine = request.GET.get("mine") == "1"
    now = timezone.now()
    queryset = selectors.open_request_list(
        sponsor=request.sponsor, owner=request.user if mine else None
    )
    queryset = selectors.open_requests_in_state(queryset, state, now=now, hours=hours)
    page = Paginator(queryset, REQUESTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "requests": list(page.object_list),
        "page": page,
        "query": query.urlencode(),
        "state": state,
        "states": STATE_FILTERS,
        "hours": hours,
        "mine": mine,
        "now": now,
    }
    template = "engagements/request_list.html"
    if is_partial(request):
        template += "#request-table"
    return render(request, template, context)


@sponsor_view()
def request_detail(request, pk):
    ask = get_scoped_or_404(
        request,
        Request.objects.select_related(
            "project", "project__cdmo", "project__owner", "policy_version__policy", "opened_by"
        ),
        pk=pk,
    )
    clocks, sponsor_wait = request_clocks(ask, timezone.now())
    pauses = list(ask.pauses.select_related("started_by", "ended_by"))
    context = {
        "ask": ask,
        "clocks": clocks,
        "pauses": pauses,
        "sponsor_wait": sponsor_wait,
        "events": list(ask.events.select_related("by")),
        "thread": list(
            ask.communications.select_related("logged_by").order_by("occurred_at", "id")
        ),
        "breaches": list(ask.breaches.order_by("breached_at")),
        "calendar": ask.calendar_snapshot,
        "pause_form": PauseForm(),
        "form": new_log_form(request, ask.project, ask=ask) if ask.is_open else None,
        "log_url": reverse("request_action", args=[request.sponsor.slug, ask.pk, "log"]),
        "project": ask.project,
        "status_form": StatusChangeForm(),
        "reopen_form": ReopenForm(),
        "reclassify_form": ReclassifyForm(
            initial={"category": ask.category, "priority": ask.priority}
        ),
    }
    return render(request, "engagements/request_detail.html", context)


ACTIONS = {"pause", "resume", "resolve", "cancel", "reopen", "reclassify", "log"}


@sponsor_view(WRITE)
def request_action(request, pk, action):
    """Change a request's status; errors come back as a message, nothing half-written."""
    ask = get_scoped_or_404(request, Request, pk=pk)  # a foreign id is 404 whatever the method
    if action not in ACTIONS:
        raise Http404("Not found.")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if action == "log":  # an answer or a chaser, logged from the request's page
        return log_communication(request, ask.project, ask=ask)
    form_class = {"pause": PauseForm, "reopen": ReopenForm, "reclassify": ReclassifyForm}.get(
        action, StatusChangeForm
    )
    form = form_class(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                label = form.fields[field].label if field in form.fields else ""
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect("request_detail", request.sponsor.slug, ask.pk)
    data = form.cleaned_data
    try:
        if action == "pause":
            services.request_pause(
                request=ask,
                by=request.user,
                reason_category=data["reason_category"],
                reason=data["reason"],
                at=data.get("at"),
            )
        elif action == "resume":
            services.request_resume(request=ask, by=request.user, at=data.get("at"))
        elif action in ("resolve", "cancel"):
            kind = (
                RequestEvent.Kind.RESOLVED if action == "resolve" else RequestEvent.Kind.CANCELLED
            )
            services.request_close(
                request=ask, by=request.user, kind=kind, at=data.get("at"), note=data["note"]
            )
        elif action == "reopen":
            services.request_reopen(
                request=ask, by=request.user, at=data.get("at"), note=data["note"]
            )
        else:
            services.request_reclassify(
                request=ask,
                by=request.user,
                category=data["category"],
                priority=data["priority"],
                note=data["note"],
            )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _DONE[action])
    return redirect("request_detail", request.sponsor.slug, ask.pk)


_DONE = {
    "pause": "Paused: the CDMO's clocks stop until you resume.",
    "resume": "Resumed: the CDMO's clocks run again.",
    "resolve": "Resolved.",
    "cancel": "Cancelled.",
    "reopen": "Reopened: a new resolution clock is running.",
    "reclassify": "Category and priority saved; clocks that start from now use them.",
}
