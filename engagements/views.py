"""Pages of the engagement log. A view parses input, calls one function, renders.

HTMX requests to the same URLs get the named partials of the page's template.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from audit.trail import ChangedMeanwhile
from audit.views import history_response
from cdmo_portal.htmx import is_partial

from . import selectors, services
from .access import WRITE, get_scoped_or_404, require_write, scoped, sponsor_view
from .editing import add_service_errors, save_or_render, show_changed_meanwhile
from .forms import (
    CDMOForm,
    CommunicationForm,
    ContactForm,
    DeleteWithReasonForm,
    ProjectForm,
    SiteForm,
    TimelineFilterForm,
)
from .models import (
    CDMO,
    BusinessCalendar,
    Communication,
    Contact,
    Membership,
    Pause,
    Project,
    Request,
    RequestEvent,
    Site,
    SLAPolicy,
    SponsorSecurityPolicy,
)


@login_required
def home(request):
    """Send the user to their sponsor, or let them choose when they have several."""
    memberships = list(Membership.objects.filter(user=request.user).select_related("sponsor"))
    if len(memberships) == 1:
        return redirect("my_work", sponsor_slug=memberships[0].sponsor.slug)
    return render(request, "engagements/choose_sponsor.html", {"memberships": memberships})


@sponsor_view()
def my_work(request):
    mine = selectors.project_list(sponsor=request.sponsor, owner=request.user)
    projects = list(mine.exclude(status__in=["completed", "cancelled"]))
    owner = request.user if projects else None
    if not projects:
        projects = list(selectors.project_list(sponsor=request.sponsor, status="active")[:20])
    context = {
        "projects": projects,
        "showing_own": owner is not None,
        "recent": list(selectors.recent_communications(sponsor=request.sponsor, owner=owner)),
        "open_requests": list(
            selectors.open_request_list(sponsor=request.sponsor, owner=owner, limit=15)
        ),
    }
    return render(request, "engagements/my_work.html", context)


# CDMOs ---------------------------------------------------------------------------------------


@sponsor_view()
def cdmo_list(request):
    status = request.GET.get("status", "")
    if status not in CDMO.Status.values:
        status = ""
    cdmos = list(selectors.cdmo_list(sponsor=request.sponsor, status=status))
    return render(
        request,
        "engagements/cdmo_list.html",
        {"cdmos": cdmos, "status": status, "statuses": CDMO.Status.choices},
    )


@sponsor_view()
def cdmo_detail(request, pk):
    cdmo = get_scoped_or_404(request, CDMO, pk=pk)
    context = {
        "cdmo": cdmo,
        "sites": list(scoped(request, Site).filter(cdmo=cdmo)),
        "contacts": list(scoped(request, Contact).filter(cdmo=cdmo)),
        "projects": list(selectors.project_list(sponsor=request.sponsor, cdmo=cdmo)),
    }
    return render(request, "engagements/cdmo_detail.html", context)


@sponsor_view()
@vary_on_headers("HX-Request")
def cdmo_timeline(request, pk):
    """One timeline across all the CDMO's projects, each entry with its project: what a PM
    reads before a call with the CDMO. Filters and "load older" as on a project's page; HTMX
    requests get the timeline partial.
    """
    cdmo = get_scoped_or_404(request, CDMO, pk=pk)
    context = {
        "cdmo": cdmo,
        **_timeline(request, _url(request, "cdmo_timeline", cdmo.pk), cdmo=cdmo),
    }
    if is_partial(request):
        return _timeline_partial(request, context)
    return render(request, "engagements/cdmo_timeline.html", context)


@sponsor_view(WRITE)
@require_http_methods(["GET", "POST"])
def cdmo_edit(request, pk=None):
    cdmo = get_scoped_or_404(request, CDMO, pk=pk) if pk is not None else None
    form = CDMOForm(request.POST or None, instance=cdmo, sponsor=request.sponsor)
    return save_or_render(
        request,
        form,
        "engagements/form_page.html",
        {"title": f"Edit {cdmo}" if cdmo else "New CDMO", "cancel_url": _url(request, "cdmo_list")},
        "Saved {obj}.",
        lambda obj: _url(request, "cdmo_detail", obj.pk),
    )


def _cdmo_child_edit(request, model, form_class, noun, cdmo_pk, pk):
    """New or edit form of a row that belongs to one CDMO (a site, a contact)."""
    row = (
        get_scoped_or_404(request, model.objects.select_related("cdmo"), pk=pk)
        if pk is not None
        else None
    )
    cdmo = row.cdmo if row else get_scoped_or_404(request, CDMO, pk=cdmo_pk)
    form = form_class(request.POST or None, instance=row or model(cdmo=cdmo, sponsor=cdmo.sponsor))
    return save_or_render(
        request,
        form,
        "engagements/form_page.html",
        {
            "title": f"Edit {noun} {row.name}" if row else f"New {noun} of {cdmo}",
            "cancel_url": _url(request, "cdmo_detail", cdmo.pk),
        },
        f"Saved {noun} {{obj.name}}.",
        lambda obj: _url(request, "cdmo_detail", cdmo.pk),
    )


@sponsor_view(WRITE)
@require_http_methods(["GET", "POST"])
def site_edit(request, cdmo_pk=None, pk=None):
    return _cdmo_child_edit(request, Site, SiteForm, "site", cdmo_pk, pk)


@sponsor_view(WRITE)
@require_http_methods(["GET", "POST"])
def contact_edit(request, cdmo_pk=None, pk=None):
    return _cdmo_child_edit(request, Contact, ContactForm, "contact", cdmo_pk, pk)


# Projects ------------------------------------------------------------------------------------


@sponsor_view()
def project_list(request):
    status = request.GET.get("status", "")
    if status not in Project.Status.values:
        status = ""
    projects = list(selectors.project_list(sponsor=request.sponsor, status=status))
    return render(
        request,
        "engagements/project_list.html",
        {"projects": projects, "status": status, "statuses": Project.Status.choices},
    )


@sponsor_view(WRITE)
@require_http_methods(["GET", "POST"])
def project_edit(request, pk=None):
    project = get_scoped_or_404(request, Project, pk=pk) if pk is not None else None
    initial = {} if project else {"owner": request.user}
    form = ProjectForm(
        request.POST or None,
        instance=project,
        sponsor=request.sponsor,
        initial=initial,
        can_change_policy=request.membership.is_admin,
    )
    return save_or_render(
        request,
        form,
        "engagements/form_page.html",
        {
            "title": f"Edit {project}" if project else "New project",
            "cancel_url": _url(request, "project_detail", project.pk)
            if project
            else _url(request, "project_list"),
        },
        "Saved {obj}.",
        lambda obj: _url(request, "project_detail", obj.pk),
    )


def _project_for_page(request, pk):
    return get_scoped_or_404(
        request,
        Project.objects.select_related("cdmo", "site", "spoc", "owner", "activity"),
        pk=pk,
    )


@sponsor_view()
@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def project_detail(request, pk):
    """The project page: quick log form on top, the communication timeline below.

    GET with HX-Request answers the timeline partial (filters, "load older"); POST logs a
    communication and answers the fresh form, with an event that refreshes the timeline.
    """
    project = _project_for_page(request, pk)
    if request.method == "POST":
        return log_communication(request, project)
    if is_partial(request) and request.htmx.target == "project-facts":
        return render(
            request, "engagements/project_detail.html#project-facts", {"project": project}
        )
    if is_partial(request) and request.htmx.target == "project-open-requests":
        return render(
            request,
            "engagements/project_detail.html#open-requests",
            {"project": project, "open_requests": _open_requests(request, project)},
        )
    context = {
        "project": project,
        **_timeline(request, _url(request, "project_detail", project.pk), project=project),
    }
    if is_partial(request):
        return _timeline_partial(request, context)
    context["form"] = new_log_form(request, project)
    context["open_requests"] = _open_requests(request, project)
    return render(request, "engagements/project_detail.html", context)


def _open_requests(request, project):
    return list(selectors.open_request_list(sponsor=request.sponsor, project=project))


def _timeline(request, url, **scope):
    """The timeline of a project or a CDMO (`scope`): filters from the query string, one page.

    `url` is the page's own: its filters and "Load older" ask it for the timeline partials.
    """
    filters = TimelineFilterForm(request.GET or None)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    entries, next_cursor = selectors.communication_timeline(
        sponsor=request.sponsor, filters=cleaned, before=request.GET.get("before"), **scope
    )
    return {
        "entries": entries,
        "next_cursor": next_cursor,
        "filters": filters,
        "filter_query": _query_without(request, "before"),
        "timeline_url": url,
        "across_projects": "cdmo" in scope,
    }


def _timeline_partial(request, context):
    """The timeline for HTMX: its next page for "Load older", otherwise the whole list."""
    partial = "timeline-rows" if request.GET.get("before") else "timeline"
    return render(request, f"engagements/_timeline.html#{partial}", context)


def new_log_form(request, project, data=None, ask=None):
    """The quick log form; on a request's page it is pre-attached to it (an answer or chaser)."""
    initial = {"direction": "outbound"}
    if ask is not None:
        initial = {"direction": "inbound", "requests": [ask.pk]}
    return CommunicationForm(data, project=project, initial=initial)


def log_communication(request, project, ask=None):
    """Log from the POSTed quick form: the project page's, or a request page's (`ask`).

    Success answers the fresh form (HTMX) with a "communication-logged" event, or redirects;
    errors come back on the form as typed, and nothing is written.
    """
    require_write(request)
    form = new_log_form(request, project, data=request.POST, ask=ask)
    communication = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            communication = services.communication_log(
                project=project,
                by=request.user,
                channel=data["channel"],
                direction=data["direction"],
                occurred_at=data["occurred_at"],
                subject=data["subject"],
                summary=data["summary"],
                participants=data["participants"],
                needs_response=data["needs_response"],
                attach_to=data["requests"],
                open_request=data["open_request"],
                request_category=data["request_category"],
                request_priority=data["request_priority"],
                resume=data.get("resume") or (),
                submission_key=data.get("submission_key"),
            )
        except ValidationError as error:  # a time rule of the service: nothing was written
            add_service_errors(form, error)
    if communication is not None and ask is not None:
        messages.success(request, f"Logged “{communication.subject}”.")
        target = _url(request, "request_detail", ask.pk)
        return HttpResponseClientRedirect(target) if is_partial(request) else redirect(target)
    if communication is not None:
        if not is_partial(request):
            messages.success(request, f"Logged “{communication.subject}”.")
            return redirect(_url(request, "project_detail", project.pk))
        response = render(
            request,
            "engagements/project_detail.html#log-form",
            {"project": project, "form": new_log_form(request, project), "logged": communication},
        )
        return trigger_client_event(response, "communication-logged")
    if is_partial(request):
        # htmx 2 does not swap 4xx answers: errors come back with 200 and the form as typed.
        log_url = _url(request, "request_action", ask.pk, "log") if ask else None
        return render(
            request,
            "engagements/project_detail.html#log-form",
            {"project": project, "form": form, "log_url": log_url},
        )
    if ask is not None:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_url(request, "request_detail", ask.pk))
    entries, next_cursor = selectors.communication_timeline(
        sponsor=request.sponsor, project=project
    )
    return render(
        request,
        "engagements/project_detail.html",
        {
            "project": project,
            "form": form,
            "entries": entries,
            "next_cursor": next_cursor,
            "filters": TimelineFilterForm(),
            "filter_query": "",
            "open_requests": _open_requests(request, project),
            "timeline_url": _url(request, "project_detail", project.pk),
        },
    )


# Communications ------------------------------------------------------------------------------


def _communication(request, pk):
    return get_scoped_or_404(
        request, Communication.objects.select_related("project", "project__cdmo"), pk=pk
    )


@sponsor_view(WRITE)
@require_http_methods(["GET", "POST"])
def communication_edit(request, pk):
    communication = _communication(request, pk)
    project = communication.project
    form = CommunicationForm(request.POST or None, instance=communication, project=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.communication_update(
                communication=communication,
                by=request.user,
                channel=data["channel"],
                direction=data["direction"],
                occurred_at=data["occurred_at"],
                subject=data["subject"],
                summary=data["summary"],
                needs_response=data["needs_response"],
                participants=data["participants"],
                requests=data["requests"],
                reason=data.get("reason", ""),
                seen_version=form.seen_version,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except ChangedMeanwhile as error:
            show_changed_meanwhile(request, form, communication, error)
        else:
            messages.success(request, f"Saved “{communication.subject}”.")
            return redirect(_url(request, "project_detail", project.pk))
    return render(
        request,
        "engagements/communication_edit.html",
        {"form": form, "communication": communication, "project": project},
    )


@sponsor_view(WRITE)
@require_http_methods(["GET", "POST"])
def communication_delete(request, pk):
    communication = _communication(request, pk)
    project = communication.project
    form = DeleteWithReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.communication_delete(
            communication=communication, by=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(request, f"Deleted “{communication.subject}”; the audit trail keeps it.")
        target = _url(request, "project_detail", project.pk)
        return HttpResponseClientRedirect(target) if is_partial(request) else redirect(target)
    return render(
        request,
        "engagements/communication_delete.html",
        {"form": form, "communication": communication, "project": project},
    )


# Audit trail ---------------------------------------------------------------------------------

AUDITED_MODELS = {
    "cdmo": CDMO,
    "site": Site,
    "contact": Contact,
    "project": Project,
    "communication": Communication,
    "request": Request,
    "pause": Pause,
    "event": RequestEvent,
    "calendar": BusinessCalendar,
    "policy": SLAPolicy,
    "sign-in-rules": SponsorSecurityPolicy,
}


@sponsor_view()
def history(request, model, pk):
    """The audit trail of one of the sponsor's records (also a deleted one), page or CSV."""
    if model not in AUDITED_MODELS:
        raise Http404("Not found.")
    return history_response(
        request,
        model=AUDITED_MODELS[model],
        sponsor=request.sponsor,
        pk=pk,
        slug=model,
        record_url=lambda version: _record_url(request, model, version),
    )


def _record_url(request, model, version):
    """Where the record lives in the app, for the audit page's back link."""
    if model in ("cdmo", "project"):
        return _url(request, f"{model}_detail", version.id)
    if model in ("site", "contact"):
        return _url(request, "cdmo_detail", version.cdmo_id)
    if model in ("pause", "event"):
        return _url(request, "request_detail", version.request_id)
    if model == "request":
        return _url(request, "request_detail", version.id)
    if model in ("calendar", "policy"):
        return _url(request, f"{model}_detail", version.id)
    if model == "sign-in-rules":
        return _url(request, "sponsor_security")
    return _url(request, "project_detail", version.project_id) + f"#communication-{version.id}"


def _url(request, name, *args):
    return reverse(name, args=[request.sponsor.slug, *args])


def _query_without(request, *names):
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()
