"""Sponsor settings for SLA clocks: business calendars and versioned services.

Every member may read them (a PM should know the terms); only sponsor admins change them.
"""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from scorecards import api as clock

from . import services
from .access import ADMIN, get_scoped_or_404, scoped, sponsor_view
from .editing import save_or_render
from .models import BusinessCalendar, PolicyVersion, Request, SLAPolicy
from .names import unique_name
from .policy_forms import TARGET_KINDS, CalendarForm, PolicyVersionForm
from .terms import calendar_fields, calendar_from


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
    return render(request, "engagements/sla_settings.html", context)


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
        pure = calendar_from(calendar_fields(calendar))
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
    return render(request, "engagements/calendar_detail.html", context)


@sponsor_view(ADMIN)
def calendar_edit(request, pk=None):
    calendar = get_scoped_or_404(request, BusinessCalendar, pk=pk) if pk is not None else None
    form = CalendarForm(request.POST or None, instance=calendar, sponsor=request.sponsor)
    title = f"Edit calendar {calendar.name}" if calendar else "New business calendar"
    return save_or_render(
        request,
        form,
        "engagements/calendar_form.html",
        {"title": title},
        "Saved calendar {obj.name}.",
        lambda obj: reverse("calendar_detail", args=[request.sponsor.slug, obj.pk]),
    )


class PolicyForm(forms.Form):
    name = forms.CharField(max_length=100)
    make_default = forms.BooleanField(required=False, label="The sponsor's default policy")

    def __init__(self, *args, sponsor, **kwargs):
        super().__init__(*args, **kwargs)
        self.sponsor = sponsor

    def clean_name(self):
        return unique_name(
            self.cleaned_data["name"],
            among=SLAPolicy.objects.filter(sponsor=self.sponsor),
            message="There is already a policy of that name.",
        )


@sponsor_view(ADMIN)
def policy_new(request):
    form = PolicyForm(request.POST or None, sponsor=request.sponsor)
    context = {
        "title": "New SLA policy",
        "cancel_url": reverse("sla_settings", args=[request.sponsor.slug]),
    }
    return save_or_render(
        request,
        form,
        "engagements/form_page.html",
        context,
        "Created {obj}; now set its terms.",
        lambda obj: reverse("policy_version_new", args=[request.sponsor.slug, obj.pk]),
        save=lambda form: services.policy_create(
            sponsor=request.sponsor,
            name=form.cleaned_data["name"],
            make_default=form.cleaned_data["make_default"],
        ),
    )


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
        "engagements/policy_detail.html",
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
                [target.minutes(kind) for kind, _ in TARGET_KINDS],
            )
        )
    return rows


@sponsor_view(ADMIN)
def policy_version_new(request, pk):
    policy = get_scoped_or_404(request, SLAPolicy, pk=pk)
    latest = policy.versions.prefetch_related("targets").order_by("-effective_from").first()
    form = PolicyVersionForm(request.POST or None, sponsor=request.sponsor, initial_version=latest)
    if request.method == "POST" and form.is_valid():
        version = services.policy_version_create(
            policy=policy, by=request.user, data=form.cleaned_data
        )
        messages.success(request, f"Saved {version}, effective from its date on.")
        return redirect("policy_detail", request.sponsor.slug, policy.pk)
    return render(
        request,
        "engagements/policy_version_form.html",
        {"form": form, "policy": policy, "latest": latest, "kinds": TARGET_KINDS},
    )


@sponsor_view(ADMIN)
def policy_make_default(request, pk):
    policy = get_scoped_or_404(request, SLAPolicy, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.policy_make_default(policy=policy)
    messages.success(request, f"{policy} is now the default policy.")
    return redirect("sla_settings", request.sponsor.slug)
