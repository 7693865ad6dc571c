"""Forms for business calendars and SLA policy versions, in the units an admin thinks in."""

import re
from datetime import date

from django import forms
from django.utils import timezone

from accounts.timezones import time_zone_choices
from scorecards import api as clock

from .models import BusinessCalendar, CalendarKind, EscalationRole, Request
from .names import unique_name
from .terms import calendar_fields, calendar_from

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
BUSINESS_DAY_MINUTES = 480  # "1 business day" = 8 business hours, whatever the calendar
DURATION = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(m|min|h|d)?\s*$", re.IGNORECASE)


def parse_duration(text):
    """'4h', '1.5 h', '90m', '2d' (business days of 8 h) → business minutes; '' → None."""
    if text is None or not str(text).strip():
        return None
    match = DURATION.match(str(text))
    if not match:
        raise forms.ValidationError(
            "Write a duration like 4h, 90m or 2d (business days of 8 hours).", code="duration"
        )
    number = float(match.group(1).replace(",", "."))
    unit = (match.group(2) or "h").lower()
    minutes = round(number * {"m": 1, "min": 1, "h": 60, "d": BUSINESS_DAY_MINUTES}[unit])
    if minutes <= 0:
        raise forms.ValidationError("A target must be longer than zero.", code="zero")
    if minutes > 365 * BUSINESS_DAY_MINUTES:
        raise forms.ValidationError("A target longer than a business year is not a target.")
    return minutes


def format_duration(minutes):
    if minutes is None:
        return ""
    if minutes % BUSINESS_DAY_MINUTES == 0 and minutes >= BUSINESS_DAY_MINUTES:
        return f"{minutes // BUSINESS_DAY_MINUTES}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


class DurationField(forms.Field):
    """A business duration typed as 4h / 90m / 2d, cleaned to minutes (None when blank)."""

    widget = forms.TextInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.update({"size": 6, "maxlength": 20, "placeholder": "—"})

    def to_python(self, value):
        if value is not None and len(str(value)) > 20:
            raise forms.ValidationError("Write a duration like 4h, 90m or 2d.")
        return parse_duration(value)

    def prepare_value(self, value):
        return format_duration(value) if isinstance(value, int) else value


def parse_day(text):
    """'09:00-12:00, 13:00-17:00' → [[540, 720], [780, 1020]]; '' → a closed day."""
    spans = []
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        match = re.match(r"^(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})$", part)
        if not match:
            raise forms.ValidationError(f"“{part}” is not an interval like 09:00-17:00.")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if m1 > 59 or m2 > 59 or h1 > 24 or h2 > 24:
            raise forms.ValidationError(f"“{part}” is not a time of day.")
        spans.append([h1 * 60 + m1, h2 * 60 + m2])
    return spans


def format_day(spans):
    return ", ".join(f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in spans)


class CalendarForm(forms.ModelForm):
    time_zone = forms.ChoiceField(choices=time_zone_choices)
    closed_dates_text = forms.CharField(
        required=False,
        label="Extra closed dates",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One ISO date per line, e.g. 2026-12-24 (plant shutdown days).",
    )

    class Meta:
        model = BusinessCalendar
        fields = ["name", "time_zone", "country", "subdivision"]

    def __init__(self, *args, sponsor, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.sponsor = sponsor
        week = self.instance.weekly or clock.stored_week()
        for index, name in enumerate(WEEKDAYS):
            self.fields[f"day_{index}"] = forms.CharField(
                required=False,
                label=name,
                initial=format_day(week[index]),
                max_length=200,
                help_text="e.g. 08:00-12:00, 13:00-17:00; blank = closed" if index == 0 else "",
            )
        self.fields["closed_dates_text"].initial = "\n".join(self.instance.closed_dates or [])

    def day_fields(self):
        return [self[f"day_{index}"] for index in range(7)]

    def clean_name(self):
        return unique_name(
            self.cleaned_data["name"],
            among=BusinessCalendar.objects.filter(sponsor=self.instance.sponsor),
            instance=self.instance,
            message="There is already a calendar of that name.",
        )

    def clean_country(self):
        return self.cleaned_data["country"].strip().upper()

    def clean_closed_dates_text(self):
        days = []
        for line in filter(
            None, (x.strip() for x in self.cleaned_data["closed_dates_text"].split())
        ):
            try:
                days.append(date.fromisoformat(line).isoformat())
            except ValueError:
                raise forms.ValidationError(f"“{line}” is not a date like 2026-12-24.") from None
        return sorted(set(days))

    def clean(self):
        cleaned = super().clean()
        week = []
        for index in range(7):
            try:
                week.append(parse_day(cleaned.get(f"day_{index}", "")))
            except forms.ValidationError as error:
                self.add_error(f"day_{index}", error)
                return cleaned
        for problem in clock.validate_weekly(week):
            self.add_error(None, problem)
        cleaned["weekly"] = week
        if not self.errors:
            try:
                self.preview_calendar = calendar_from(
                    calendar_fields(
                        BusinessCalendar(
                            time_zone=cleaned["time_zone"],
                            weekly=week,
                            country=cleaned.get("country", ""),
                            subdivision=cleaned.get("subdivision", ""),
                            closed_dates=cleaned.get("closed_dates_text", []),
                        )
                    )
                )
            except ValueError as error:
                self.add_error(None, str(error))
        return cleaned

    def save(self, commit=True):
        self.instance.weekly = self.cleaned_data["weekly"]
        self.instance.closed_dates = self.cleaned_data["closed_dates_text"]
        return super().save(commit)


ROLE_CHOICES = EscalationRole.choices
TARGET_KINDS = clock.ClockKind.choices


class PolicyVersionForm(forms.Form):
    """A new version of a policy: its terms from `effective_from` on."""

    effective_from = forms.DateTimeField(
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Requests opened from then on use these terms; earlier ones keep theirs.",
    )
    calendar_kind = forms.ChoiceField(choices=CalendarKind.choices, label="Calendar")
    calendar = forms.ModelChoiceField(
        queryset=BusinessCalendar.objects.none(), required=False, label="Sponsor calendar"
    )
    source = forms.CharField(
        required=False, max_length=200, help_text="The agreement it comes from, e.g. QA §7.2"
    )
    warning_lead = DurationField(label="Warn the owner before due", help_text="e.g. 2h")

    def __init__(self, *args, sponsor, initial_version=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["calendar"].queryset = BusinessCalendar.objects.filter(sponsor=sponsor)
        for step in range(1, 4):
            self.fields[f"step_{step}_after"] = DurationField(label=f"Step {step}: after due by")
            self.fields[f"step_{step}_role"] = forms.ChoiceField(
                choices=[("", "—"), *ROLE_CHOICES], required=False, label="notify"
            )
        for priority, label in Request.Priority.choices:
            for kind, kind_label in TARGET_KINDS:
                self.fields[f"{priority}__{kind}"] = DurationField(label=f"{label} {kind_label}")
        for category, label in Request.Category.choices:
            self.fields[f"override_{category}"] = forms.CharField(
                required=False,
                max_length=200,
                label=label,
                widget=forms.TextInput(attrs={"placeholder": "same as above"}),
            )
        if not self.is_bound:
            self.initial.update(self._initial_from(initial_version))

    def _initial_from(self, version):
        initial = {"effective_from": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
        if version is None:
            return initial
        initial.update(
            calendar_kind=version.calendar_kind,
            calendar=version.calendar_id,
            source=version.source,
            warning_lead=version.warning_lead_minutes,
        )
        for step, spec in enumerate(version.escalation_steps[:3], start=1):
            initial[f"step_{step}_after"] = spec["after_minutes"]
            initial[f"step_{step}_role"] = spec["role"]
        first_category = Request.Category.values[0]
        for target in version.targets.all():
            if target.category == first_category:
                for kind, _ in TARGET_KINDS:
                    initial[f"{target.priority}__{kind}"] = target.minutes(kind)
        return initial

    def priority_rows(self):
        return [
            (label, [self[f"{priority}__{kind}"] for kind, _ in TARGET_KINDS])
            for priority, label in Request.Priority.choices
        ]

    def step_rows(self):
        return [(self[f"step_{s}_after"], self[f"step_{s}_role"]) for s in range(1, 4)]

    def override_fields(self):
        return [self[f"override_{c}"] for c in Request.Category.values]

    def clean_effective_from(self):
        moment = self.cleaned_data["effective_from"]
        if moment.year < 2000 or moment.year > 2100:
            raise forms.ValidationError("Choose a date between 2000 and 2100.")
        return moment

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("calendar_kind") == CalendarKind.SPONSOR and not cleaned.get("calendar"):
            self.add_error("calendar", "Choose the sponsor calendar this policy uses.")
        steps = []
        for step in range(1, 4):
            after, role = cleaned.get(f"step_{step}_after"), cleaned.get(f"step_{step}_role")
            if bool(after) != bool(role):
                self.add_error(f"step_{step}_after", "Give both the delay and whom to notify.")
            elif after:
                steps.append({"after_minutes": after, "role": role})
        cleaned["escalation_steps"] = sorted(steps, key=lambda s: s["after_minutes"])
        cleaned["targets"] = self._targets(cleaned)
        lead = cleaned.get("warning_lead")
        if lead:
            for values in cleaned["targets"].values():
                shortest = min((v for v in values.values() if v), default=None)
                if shortest is not None and lead >= shortest:
                    self.add_error(
                        "warning_lead",
                        "The warning lead must be shorter than every target it warns about.",
                    )
                    break
        return cleaned

    def _targets(self, cleaned):
        """{(category, priority): {kind: minutes}} for every category and priority."""
        base = {
            priority: {kind: cleaned.get(f"{priority}__{kind}") for kind, _ in TARGET_KINDS}
            for priority in Request.Priority.values
        }
        targets = {}
        for category in Request.Category.values:
            overrides = self._overrides(category, cleaned.get(f"override_{category}", ""))
            for priority in Request.Priority.values:
                targets[(category, priority)] = {**base[priority], **overrides.get(priority, {})}
        return targets

    def _overrides(self, category, text):
        """'urgent resolution 1d; high first_response 2h' → {priority: {kind: minutes}}."""
        result = {}
        kinds = {k for k, _ in TARGET_KINDS}
        for part in filter(None, (p.strip() for p in text.split(";"))):
            words = part.split()
            if len(words) != 3 or words[0] not in Request.Priority.values or words[1] not in kinds:
                self.add_error(
                    f"override_{category}",
                    f"“{part}”: write priority, clock and duration, e.g. “urgent resolution 1d”.",
                )
                continue
            try:
                result.setdefault(words[0], {})[words[1]] = parse_duration(words[2])
            except forms.ValidationError as error:
                self.add_error(f"override_{category}", error)
        return result
