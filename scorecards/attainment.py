"""SLA attainment of a sponsor over a period: met, breached and compliance per group (SPEC §3).

Counting follows SPEC §3 "SLA compliance": each clock counts once, in the period of its
outcome — a met clock at its stop, a breached one at its due time (`Clock.outcome_at` holds
either), and a clock still stored as running whose due time has passed (the sweep has not
caught up yet) as breached at its due time. Running, paused, void and untimed clocks are left
out. Periods are half-open, [start, end), so consecutive periods share no outcome and their
counts add up to the count of the longer period.

The counts come from one grouped SQL query. Sponsor wait and first-response times (FRT) need
business time on each request's own calendar, which SQL cannot do, so they are added up in
Python over rows that SQL has already narrowed to the period: the pauses overlapping it, and
the first-response clocks of the requests opened in it.
"""

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Case, Count, DateTimeField, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce

from engagements.models import Communication, Pause, Request
from engagements.terms import calendar_from

from . import clock
from .models import Clock, ClockKind

KINDS = tuple(ClockKind.values)  # first_response, next_response, update, resolution
RESPONSE_KINDS = (ClockKind.FIRST_RESPONSE, ClockKind.NEXT_RESPONSE)

PRESETS = {
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "quarter": "This quarter",
    "previous_quarter": "Previous quarter",
    "custom": "Custom dates",
}
DEFAULT_PRESET = "30d"
MAX_PERIOD_DAYS = 731  # two years, one of them a leap year
EARLIEST_DAY = date(1970, 1, 1)  # business time is counted in minutes since 1970


# Periods ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole local days `first_day`..`last_day` in `zone`: the instants [start, end)."""

    first_day: date
    last_day: date
    zone: object
    preset: str = "custom"

    @property
    def start(self):
        return _midnight(self.first_day, self.zone)

    @property
    def end(self):
        return _midnight(self.last_day + timedelta(days=1), self.zone)

    @property
    def days(self):
        return (self.last_day - self.first_day).days + 1

    @property
    def label(self):
        return PRESETS.get(self.preset, PRESETS["custom"])


def _midnight(day, zone):
    return datetime.combine(day, time.min, tzinfo=zone)


def preset_period(preset, *, today, zone):
    """The period a preset names, seen from `today` in the user's time zone."""
    if preset in ("7d", "30d", "90d"):
        days = int(preset[:-1])
        return Period(today - timedelta(days=days - 1), today, zone, preset)
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    if preset == "previous_quarter":
        last = quarter_start - timedelta(days=1)
        return Period(date(last.year, last.month - 2, 1), last, zone, preset)
    if preset == "quarter":
        next_start = _add_months(quarter_start, 3)
        return Period(quarter_start, next_start - timedelta(days=1), zone, preset)
    raise ValueError(f"Unknown period preset {preset!r}.")


def _add_months(day, months):
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)


def custom_period_problems(first_day, last_day, today):
    """What is wrong with a custom period, as messages for the user; empty when it is fine."""
    if first_day is None or last_day is None:
        return ["Choose both a start and an end date for a custom period."]
    problems = []
    if first_day > last_day:
        problems.append("The start date must be on or before the end date.")
    if first_day < EARLIEST_DAY:
        problems.append("Choose dates from 1 January 1970 on.")
    if first_day > today:
        problems.append("The period starts in the future: nothing can have been counted yet.")
    if (last_day - first_day).days + 1 > MAX_PERIOD_DAYS:
        problems.append(f"A period can span at most two years ({MAX_PERIOD_DAYS} days).")
    return problems


# Groupings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grouping:
    """How rows are grouped: `key` and `names` are paths from a request, or from the clock
    itself when `on_clock` (clock kind, which pauses have not)."""

    name: str
    label: str
    key: str
    names: tuple = ()  # (alias, path) pairs fetched to label the group
    on_clock: bool = False

    @property
    def heading(self):
        return "By " + (self.label if self.label.isupper() else self.label.lower())

    def values(self, *, on="clock"):
        """Value expressions naming the group in a query over clocks or pauses, or None."""
        if self.on_clock:
            return {"group_key": F(self.key)} if on == "clock" else None
        expressions = {"group_key": F("request__" + self.key)}
        for alias, path in self.names:
            expressions[alias] = F("request__" + path)
        return expressions


GROUPINGS = {
    "cdmo": Grouping("cdmo", "CDMO", "project__cdmo", (("group_label", "project__cdmo__name"),)),
    "project": Grouping(
        "project",
        "Project",
        "project",
        (
            ("group_label", "project__code"),
            ("group_name", "project__name"),
            ("group_detail", "project__cdmo__name"),
        ),
    ),
    "category": Grouping("category", "Category", "category"),
    "priority": Grouping("priority", "Priority", "priority"),
    "kind": Grouping("kind", "Clock kind", "kind", on_clock=True),
}
DEFAULT_GROUPING = "cdmo"

# Label and order of the groups whose keys are choices.
_CHOICES = {
    "category": list(Request.Category.choices),
    "priority": list(reversed(Request.Priority.choices)),  # urgent first
    "kind": list(ClockKind.choices),
}


# Figures ---------------------------------------------------------------------------------


@dataclass
class Tally:
    met: int = 0
    breached: int = 0

    @property
    def counted(self):
        return self.met + self.breached

    @property
    def compliance(self):
        """met / (met + breached) in percent; None when nothing was counted."""
        return 100 * self.met / self.counted if self.counted else None

    @property
    def band(self):
        """The scorecard standing band the percentage falls in (SPEC §4 thresholds)."""
        value = self.compliance
        if value is None:
            return "none"
        if value >= 85:
            return "good"
        if value >= 70:
            return "fair"
        return "watch" if value >= 50 else "poor"

    def add(self, other):
        self.met += other.met
        self.breached += other.breached


@dataclass(frozen=True)
class Percentile:
    minutes: float
    at_least: bool  # a request still unanswered at the period end takes part: a lower bound

    @property
    def hours(self):
        return self.minutes / 60


def percentile(values, fraction):
    """percentile_cont over (minutes, is_lower_bound) pairs, as PostgreSQL computes it.

    The result is a lower bound ("≥") only when a lower-bound value sits at or below the
    interpolation point: raising values above it cannot move the percentile.
    """
    if not values:
        return None
    ordered = sorted(values)  # on equal minutes, exact values come first
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    value = ordered[low][0] + (ordered[high][0] - ordered[low][0]) * (position - low)
    return Percentile(value, any(is_lower for _, is_lower in ordered[: high + 1]))


@dataclass
class Row:
    key: object
    label: str = ""
    name: str = ""
    detail: str = ""
    pooled: Tally = field(default_factory=Tally)
    kinds: dict = field(default_factory=lambda: {kind: Tally() for kind in KINDS})
    sponsor_wait_minutes: int | None = None
    first_response_times: list = field(default_factory=list)  # (minutes, is_lower_bound)

    @property
    def responsiveness(self):
        """SPEC §3 "Responsiveness": compliance of the first- and next-response clocks."""
        tally = Tally()
        for kind in RESPONSE_KINDS:
            tally.add(self.kinds[kind])
        return tally

    @property
    def kind_tallies(self):
        return [(kind, self.kinds[kind]) for kind in KINDS]

    @property
    def sponsor_wait_hours(self):
        return None if self.sponsor_wait_minutes is None else self.sponsor_wait_minutes / 60

    @property
    def frt_count(self):
        return len(self.first_response_times)

    @property
    def frt_median(self):
        return percentile(self.first_response_times, 0.5)

    @property
    def frt_p90(self):
        return percentile(self.first_response_times, 0.9)


@dataclass
class Report:
    period: Period
    grouping: Grouping
    now: datetime
    rows: list
    total: Row

    @property
    def is_partial(self):
        """The period runs past now: it is a report to date."""
        return self.period.end > self.now


def counted(start, end, now):
    """The clocks whose outcome counts in [start, end) as of `now`; met iff state is met."""
    now = clock.truncate(now)
    return Q(state__in=("met", "breached"), outcome_at__gte=start, outcome_at__lt=end) | Q(
        # Still stored as running past its due time: breached there. Due exactly now is
        # still running (SPEC §3 edge 1); breached once now is later.
        state="running",
        due_at__gte=start,
        due_at__lt=min(end, now),
    )


IS_MET = Q(state="met")


def attainment(*, sponsor, period, grouping, now):
    """The attainment table of `sponsor` for `period`, grouped; five queries whatever the data.

    1. met / breached per group and clock kind (one grouped query);
    2. FRT of requests opened in the period and answered by its end (one value each);
    3. the requests opened in the period and still unanswered at its end, with 4. their
       pauses, to count their business time so far;
    5. the pauses overlapping the period, for sponsor wait.
    """
    grouping = GROUPINGS[grouping] if isinstance(grouping, str) else grouping
    rows = {}

    def row_for(values):
        key = values["group_key"]
        if key not in rows:
            rows[key] = Row(
                key=key,
                label=values.get("group_label") or "",
                name=values.get("group_name") or "",
                detail=values.get("group_detail") or "",
            )
        return rows[key]

    for values in _tallies(sponsor, period, grouping, now):
        row = row_for(values)
        for kind in KINDS:
            tally = Tally(values[f"{kind}_met"], values[f"{kind}_breached"])
            row.kinds[kind] = tally
            row.pooled.add(tally)

    total = Row(key=None, label="All", sponsor_wait_minutes=0)
    for values, minutes in _first_response_times(sponsor, period, grouping, now):
        row_for(values).first_response_times.append(minutes)
        total.first_response_times.append(minutes)

    for values, minutes in _sponsor_waits(sponsor, period, grouping, now):
        total.sponsor_wait_minutes += minutes
        if values is not None:
            row = row_for(values)
            row.sponsor_wait_minutes = (row.sponsor_wait_minutes or 0) + minutes

    for row in rows.values():
        total.pooled.add(row.pooled)
        for kind in KINDS:
            total.kinds[kind].add(row.kinds[kind])
        if not grouping.on_clock and row.sponsor_wait_minutes is None:
            row.sponsor_wait_minutes = 0
    ordered = _label_and_order(grouping, list(rows.values()))
    return Report(period=period, grouping=grouping, now=now, rows=ordered, total=total)


def _tallies(sponsor, period, grouping, now):
    per_kind = {}
    for kind in KINDS:
        per_kind[f"{kind}_met"] = Count("id", filter=IS_MET & Q(kind=kind))
        per_kind[f"{kind}_breached"] = Count("id", filter=~IS_MET & Q(kind=kind))
    return (
        Clock.objects.filter(sponsor=sponsor)
        .filter(counted(period.start, period.end, now))
        .values(**grouping.values())
        .annotate(**per_kind)
        .order_by()
    )


def _first_response_times(sponsor, period, grouping, now):
    """(group values, (business minutes, is_lower_bound)) per request opened in the period.

    Answered by the period end: its FRT. Unanswered then (still open, or answered or closed
    only later): its business time so far, a lower bound. Closed unanswered within the
    period: left out (SPEC §3 "Responsiveness").
    """
    end = min(period.end, clock.truncate(now))
    names = list(grouping.values())
    clocks = (
        Clock.objects.filter(
            sponsor=sponsor,
            kind=ClockKind.FIRST_RESPONSE,
            started_at__gte=period.start,
            started_at__lt=end,
        )
        .values(**grouping.values())
        .order_by()
    )
    # A first-response clock stops at an inbound of that minute, or when the request closes;
    # an inbound dated before its stop would have stopped it earlier.
    answered = Exists(
        Communication.requests.through.objects.filter(
            request_id=OuterRef("request_id"),
            communication__direction=Communication.Direction.INBOUND,
            communication__occurred_at__lt=OuterRef("stopped_at") + clock.ONE_MINUTE,
        )
    )
    for row in (
        clocks.filter(stopped_at__lte=end).filter(answered).values_list(*names, "used_minutes")
    ):
        yield dict(zip(names, row[:-1], strict=True)), (row[-1], False)

    unanswered = clocks.filter(Q(stopped_at__isnull=True) | Q(stopped_at__gt=end))
    pending = list(
        unanswered.values_list(*names, "request_id", "started_at", "request__calendar_snapshot")
    )
    if not pending:
        return
    pauses = {}
    for request_id, started_at, ended_at in Pause.objects.filter(
        sponsor=sponsor, request__in=unanswered.values("request_id"), started_at__lt=end
    ).values_list("request_id", "started_at", "ended_at"):
        pauses.setdefault(request_id, []).append((started_at, ended_at))
    calendars = _Calendars()
    for *group, request_id, started_at, snapshot in pending:
        minutes = clock.working_minutes(
            calendars.get(snapshot), started_at, end, pauses.get(request_id, ())
        )
        yield dict(zip(names, group, strict=True)), (minutes, True)


def _sponsor_waits(sponsor, period, grouping, now):
    """(group values or None, business minutes paused within the period) per pause."""
    end = min(period.end, clock.truncate(now))
    expressions = grouping.values(on="pause")
    names = list(expressions or {})
    rows = (
        Pause.objects.filter(sponsor=sponsor, started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=period.start))
        .annotate(**(expressions or {}))
        .values_list(*names, "started_at", "ended_at", "request__calendar_snapshot")
        .order_by()
    )
    calendars = _Calendars()
    for *group, started_at, ended_at, snapshot in rows:
        minutes = clock.working_minutes(
            calendars.get(snapshot),
            max(started_at, period.start),
            min(ended_at or end, end),
        )
        yield (dict(zip(names, group, strict=True)) if expressions else None), minutes


class _Calendars:
    """Each distinct calendar snapshot built once per report."""

    def __init__(self):
        self._built = {}

    def get(self, snapshot):
        key = json.dumps(snapshot, sort_keys=True)
        if key not in self._built:
            self._built[key] = calendar_from(snapshot)
        return self._built[key]


def _label_and_order(grouping, rows):
    choices = _CHOICES.get(grouping.name)
    if grouping.on_clock and rows:  # all four SLA terms get a row, counted or not
        present = {row.key for row in rows}
        rows += [Row(key=kind) for kind in KINDS if kind not in present]
    if choices:
        position = {value: index for index, (value, _) in enumerate(choices)}
        labels = dict(choices)
        for row in rows:
            row.label = labels.get(row.key, row.key)
        return sorted(rows, key=lambda row: (position.get(row.key, len(position)), row.key))
    return sorted(rows, key=lambda row: (row.label.casefold(), row.key))


# The clocks behind the figures -----------------------------------------------------------

CLOCK_COLUMNS = (
    "request_id",
    "request__title",
    "request__project__code",
    "request__project__cdmo__name",
    "request__category",
    "request__priority",
    "kind",
    "started_at",
    "stopped_at",
    "due_at",
    "state",
    "target_minutes",
    "used_minutes",
    "late_minutes",
    "outcome_at",
    "counted_as",
    "counted_at",
)


def counted_clocks(*, sponsor, period, now):
    """The clocks the report counts, as tuples of CLOCK_COLUMNS, in the order they counted."""
    return (
        Clock.objects.filter(sponsor=sponsor)
        .filter(counted(period.start, period.end, now))
        .annotate(
            counted_as=Case(When(IS_MET, then=Value("met")), default=Value("breached")),
            counted_at=Coalesce("outcome_at", "due_at", output_field=DateTimeField()),
        )
        .order_by("counted_at", "id")
        .values_list(*CLOCK_COLUMNS)
    )
