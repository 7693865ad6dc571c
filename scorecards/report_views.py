"""The SLA attainment report: the page (with its HTMX-swapped report), and its CSV exports."""

from itertools import chain
from urllib.parse import urlencode

from django import forms
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from cdmo_portal.csv_export import csv_response
from cdmo_portal.htmx import is_partial
from engagements.access import sponsor_view

from . import attainment as report
from .models import ClockKind


class AttainmentFilterForm(forms.Form):
    """The period (a preset, or custom dates in the user's time zone) and the grouping."""

    period = forms.ChoiceField(label="Period", choices=list(report.PRESETS.items()), required=False)
    # A date input's value is ISO whatever the language: never the locale's d/m/Y.
    start = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    group = forms.ChoiceField(
        label="Group by",
        choices=[(name, grouping.label) for name, grouping in report.GROUPINGS.items()],
        required=False,
    )

    def __init__(self, data=None, *, today, zone, action, initial=None):
        super().__init__(data, initial=initial)
        self.today, self.zone, self.action = today, zone, action
        # The selects apply at once; typed dates wait for "Apply dates" (a half-typed date
        # must not reload the report under the user's cursor).
        for name in ("period", "group"):
            self.fields[name].widget.attrs.update({"hx-get": action, "hx-include": "closest form"})

    def applied(self, result):
        """An unbound copy showing what a report applied: a preset's own dates, the grouping."""
        period = result.period
        return AttainmentFilterForm(
            today=self.today,
            zone=self.zone,
            action=self.action,
            initial={
                "period": period.preset,
                "start": period.first_day,
                "end": period.last_day,
                "group": result.grouping.name,
            },
        )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        preset = data.get("period") or ""
        if not preset:  # dates alone (a hand-made link) mean those dates
            preset = "custom" if data.get("start") or data.get("end") else report.DEFAULT_PRESET
        if preset == "custom":
            problems = report.custom_period_problems(data.get("start"), data.get("end"), self.today)
            if problems:
                raise forms.ValidationError(problems)
            data["report_period"] = report.Period(data["start"], data["end"], self.zone, preset)
        else:
            data["report_period"] = report.preset_period(preset, today=self.today, zone=self.zone)
        data["period"] = preset
        data["group"] = data.get("group") or report.DEFAULT_GROUPING
        return data

    def query(self):
        """The canonical query string of a valid form: defaults left out, dates only if custom."""
        data = self.cleaned_data
        params = {}
        if data["period"] != report.DEFAULT_PRESET:
            params["period"] = data["period"]
        if data["period"] == "custom":
            params["start"] = data["start"].isoformat()
            params["end"] = data["end"].isoformat()
        if data["group"] != report.DEFAULT_GROUPING:
            params["group"] = data["group"]
        return urlencode(params)


def _filters(request):
    """The filter form bound to the query string (empty: the defaults)."""
    return AttainmentFilterForm(
        request.GET or {},
        today=timezone.localdate(),
        zone=timezone.get_current_timezone(),
        action=reverse("attainment", args=[request.sponsor.slug]),
    )


def _report(form, sponsor, now):
    """The report the form asks for, or None when its input is not valid."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    return report.attainment(
        sponsor=sponsor, period=data["report_period"], grouping=data["group"], now=now
    )


@sponsor_view()
@require_safe
@vary_on_headers("HX-Request")
def attainment(request):
    """Met, breached and compliance per group for a period: the governance-meeting table."""
    form = _filters(request)
    result = _report(form, request.sponsor, timezone.now())
    query = form.query() if result else ""
    context = {
        "form": form.applied(result) if result else form,
        "report": result,
        "query": query,
        "kinds": ClockKind.choices,
        "time_zone": timezone.get_current_timezone_name(),
    }
    template = "scorecards/attainment.html"
    partial = is_partial(request)
    if partial:
        template += "#report"
    response = render(request, template, context)
    if partial and result:  # the address bar keeps the filter, in its shortest form
        push_url(response, f"{form.action}?{query}" if query else form.action)
    return response


# CSV exports -----------------------------------------------------------------------------


def _bad_request(form):
    problems = [error for errors in form.errors.values() for error in errors]
    return HttpResponseBadRequest(
        "The period or grouping is not valid: " + " ".join(problems),
        content_type="text/plain; charset=utf-8",
    )


def _period_slug(period):
    return f"{period.first_day.isoformat()}-to-{period.last_day.isoformat()}"


def _one_decimal(value):
    return "" if value is None else round(value, 1)


@sponsor_view()
@require_safe
def attainment_csv(request):
    """The attainment table as CSV: one row per group, then the total."""
    form = _filters(request)
    result = _report(form, request.sponsor, timezone.now())
    if result is None:
        return _bad_request(form)
    kinds = [kind for kind, _ in ClockKind.choices]
    header = [result.grouping.label, "Detail", "Met", "Breached", "Compliance %"]
    for label in ClockKind.labels:
        header += [f"{label} met", f"{label} breached", f"{label} compliance %"]
    header += [
        "Sponsor wait h",
        "FRT requests",
        "FRT median h",
        "FRT median is a lower bound",
        "FRT p90 h",
        "FRT p90 is a lower bound",
    ]

    def line(row, label, detail):
        cells = [label, detail, row.pooled.met, row.pooled.breached]
        cells.append(_one_decimal(row.pooled.compliance))
        for kind in kinds:
            tally = row.kinds[kind]
            cells += [tally.met, tally.breached, _one_decimal(tally.compliance)]
        median, p90 = row.frt_median, row.frt_p90
        cells += [
            _one_decimal(row.sponsor_wait_hours),
            row.frt_count,
            _one_decimal(median and median.hours),
            "yes" if median and median.at_least else "",
            _one_decimal(p90 and p90.hours),
            "yes" if p90 and p90.at_least else "",
        ]
        return cells

    rows = [header]
    for row in result.rows:
        detail = " · ".join(part for part in (row.name, row.detail) if part)
        rows.append(line(row, row.label, detail))
    rows.append(line(result.total, "All", ""))
    name = result.grouping.name
    filename = f"{request.sponsor.slug}-sla-attainment-by-{name}-{_period_slug(result.period)}.csv"
    return csv_response(rows, filename)


CLOCK_HEADER = [
    "Request id",
    "Request title",
    "Project code",
    "CDMO",
    "Category",
    "Priority",
    "Clock kind",
    "Started",
    "Stopped",
    "Due",
    "State",
    "Target minutes",
    "Used minutes",
    "Late minutes",
    "Outcome at",
    "Counted as",
    "Counted at",
]
_TIMES = {index for index, name in enumerate(report.CLOCK_COLUMNS) if name.endswith("_at")} | {
    report.CLOCK_COLUMNS.index("due_at")
}
_STOPPED = report.CLOCK_COLUMNS.index("stopped_at")
_USED = report.CLOCK_COLUMNS.index("used_minutes")


def _clock_line(values, zone):
    cells = list(values)
    for index in _TIMES:
        if cells[index] is not None:
            cells[index] = timezone.localtime(cells[index], zone).isoformat(timespec="minutes")
    if values[_STOPPED] is None:  # still open: minutes so far are not stored, only read live
        cells[_USED] = None
    return cells


@sponsor_view()
@require_safe
def attainment_clocks_csv(request):
    """Every clock the table counts, one row each, in the order they counted."""
    form = _filters(request)
    now = timezone.now()
    result = _report(form, request.sponsor, now)
    if result is None:
        return _bad_request(form)
    clocks = report.counted_clocks(sponsor=request.sponsor, period=result.period, now=now)
    zone = timezone.get_current_timezone()  # the rows are written after the view returns
    lines = (_clock_line(values, zone) for values in clocks.iterator(chunk_size=2000))
    filename = f"{request.sponsor.slug}-sla-clocks-{_period_slug(result.period)}.csv"
    return csv_response(chain([CLOCK_HEADER], lines), filename, stream=True)
