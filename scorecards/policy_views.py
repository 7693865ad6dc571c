"""Sponsor settings for SLA clocks: business calendars and versioned policies.

Every member may read them (a PM should know the terms); only sponsor admins change them.
"""

from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from engagements.access import ADMIN, get_scoped_or_404, scoped, sponsor_view
from engagements.models import Request

from . import clock, policies
from .models import BusinessCalendar, PolicyVersion, SLAPolicy
from .policy_forms import TARGET_KINDS, CalendarForm, PolicyVersionForm, target_column


@sponsor_view()
def sla_settings(request):
    context = {
        "calendars": list(scoped(request, BusinessCalendar).order_by("name")),
        "policies": list(
            scoped(request, SLAPolicy)
            .order_by("-is_default", "name")
            .prefetch_related(
                Prefetch("versions", queryset=PolicyVersion.objects.order_by("-effective_from"))
            )
        ),
    }
    return render(request, "scorecards/sla_settings.html", context)


def preview(calendar, days=30):
    """Working intervals of the next `days` days, grouped by local date, with daily totals."""
    start = clock.truncate(timezone.now())
    rows = {}
    for begin, end in clock.next_working_intervals(calendar, start, days):
        minutes = clock.working_minutes(calendar, begin, end)
        day = rows.setdefault(begin.date(), {"date": begin.date(), "spans": [], "minutes": 0})
        day["spans"].append((begin, end))
        day["minutes"] += minutes
    return list(rows.values())


@sponsor_view()
def calendar_detail(request, pk):
    calendar = get_scoped_or_404(request, BusinessCalendar, pk=pk)
    try:
        pure = clock.Calendar(
            time_zone=calendar.time_zone,
            weekly=calendar.weekly,
            country=calendar.country,
            subdivision=calendar.subdivision,
            closed_dates=frozenset(date.fromisoformat(d) for d in calendar.closed_dates),
        )
    except ValueError as error:  # stored outside the form (admin, data import): say so
        messages.error(request, f"This calendar cannot be used: {error}")
        pure = None
    days = preview(pure) if pure else []
    context = {
        "calendar": calendar,
        "days": days,
        "total": sum(d["minutes"] for d in days),
        "until": timezone.localdate() + timedelta(days=30),
    }
    return render(request, "scorecards/calendar_detail.html", context)


@sponsor_view(ADMIN)
def calendar_edit(request, pk=None):
    calendar = get_scoped_or_404(request, BusinessCalendar, pk=pk) if pk is not None else None
    form = CalendarForm(request.POST or None, instance=calendar, sponsor=request.sponsor)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, f"Saved calendar {saved.name}.")
        return redirect("calendar_detail", request.sponsor.slug, saved.pk)
    title = f"Edit calendar {calendar.name}" if calendar else "New business calendar"
    return render(request, "scorecards/calendar_form.html", {"form": form, "title": title})


class PolicyForm(forms.Form):
    name = forms.CharField(max_length=100)
    make_default = forms.BooleanField(required=False, label="The sponsor's default policy")


@sponsor_view(ADMIN)
def policy_new(request):
    form = PolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["name"].strip()
        if scoped(request, SLAPolicy).filter(name__iexact=name).exists():
            form.add_error("name", "There is already a policy of that name.")
        else:
            policy = policies.policy_create(
                sponsor=request.sponsor, name=name, make_default=form.cleaned_data["make_default"]
            )
            messages.success(request, f"Created {policy}; now set its terms.")
            return redirect("policy_version_new", request.sponsor.slug, policy.pk)
    context = {
        "form": form,
        "title": "New SLA policy",
        "cancel_url": reverse("sla_settings", args=[request.sponsor.slug]),
    }
    return render(request, "engagements/form_page.html", context)


@sponsor_view()
def policy_detail(request, pk):
    policy = get_scoped_or_404(request, SLAPolicy, pk=pk)
    versions = list(
        policy.versions.select_related("calendar", "created_by")
        .prefetch_related("targets")
        .order_by("-effective_from")
    )
    for version in versions:
        version.matrix = _matrix(version)
        version.request_count = Request.objects.filter(
            sponsor=request.sponsor, policy_version=version
        ).count()
    return render(
        request,
        "scorecards/policy_detail.html",
        {"policy": policy, "versions": versions, "kinds": TARGET_KINDS},
    )


def _matrix(version):
    """Rows of (category, priority) → targets, grouped so identical rows read once."""
    rows = []
    labels = dict(Request.Category.choices)
    priorities = dict(Request.Priority.choices)
    for target in sorted(
        version.targets.all(),
        key=lambda t: (
            Request.Category.values.index(t.category) if t.category in labels else 99,
            Request.Priority.values.index(t.priority) if t.priority in priorities else 9,
        ),
    ):
        rows.append(
            (
                labels.get(target.category, target.category),
                priorities.get(target.priority, target.priority),
                [getattr(target, target_column(kind)) for kind, _ in TARGET_KINDS],
            )
        )
    return rows


@sponsor_view(ADMIN)
def policy_version_new(request, pk):
    policy = get_scoped_or_404(request, SLAPolicy, pk=pk)
    latest = policy.versions.prefetch_related("targets").order_by("-effective_from").first()
    form = PolicyVersionForm(request.POST or None, sponsor=request.sponsor, initial_version=latest)
    if request.method == "POST" and form.is_valid():
        version = policies.policy_version_create(
            policy=policy, by=request.user, data=form.cleaned_data
        )
        messages.success(request, f"Saved {version}, effective from its date on.")
        return redirect("policy_detail", request.sponsor.slug, policy.pk)
    return render(
        request,
        "scorecards/policy_version_form.html",
        {"form": form, "policy": policy, "latest": latest, "kinds": TARGET_KINDS},
    )


@sponsor_view(ADMIN)
def policy_make_default(request, pk):
    policy = get_scoped_or_404(request, SLAPolicy, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    policies.policy_make_default(policy=policy)
    messages.success(request, f"{policy} is now the default policy.")
    return redirect("sla_settings", request.sponsor.slug)
