"""Django forms for the engagement log and the portfolio. Querysets are scoped by the caller."""

from datetime import UTC, date, datetime, timedelta

from django import forms
from django.conf import settings
from django.utils import timezone

from accounts.timezones import time_zone_choices

from .models import (
    CDMO,
    WRITE_ROLES,
    Communication,
    Contact,
    Pause,
    Project,
    Request,
    Site,
    SLAPolicy,
)
from .names import unique_name
from .search import KINDS, MAX_PAGE

DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


# Earlier than this is a mistyped year, not history the portal holds. Year 1 in a zone east of
# UTC does not even survive the conversion to UTC: PostgreSQL stores it as 1 BC, which Python
# cannot read back (a 500 on every page showing it), and the SLA sweep failed on it.
EARLIEST_ENTRY = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_FILTER_DATE = date(2100, 12, 31)


def refuse_future(value, what="This"):
    tolerance = timedelta(minutes=settings.COMMUNICATION_FUTURE_TOLERANCE_MINUTES)
    if value and value > timezone.now() + tolerance:
        raise forms.ValidationError(
            f"{what} is in the future; log interactions once they have happened."
        )


def refuse_implausible(value, what="This"):
    """Refuse a time in the future (beyond clock skew) or before 2000."""
    refuse_future(value, what)
    if value and value < EARLIEST_ENTRY:
        raise forms.ValidationError(f"{what} is before 2000; check the year.")


class CommunicationForm(forms.ModelForm):
    """The quick log form at the top of a project, also used to edit an entry."""

    occurred_at = forms.DateTimeField(
        label="When",
        input_formats=DATETIME_INPUT_FORMATS,
        widget=LocalDateTimeInput(),
        help_text="In your time zone.",
    )
    open_request = forms.BooleanField(
        required=False,
        label="Opens a new request",
        help_text="Track this ask and the CDMO's answers to it. Inbound: the CDMO raised it.",
    )
    request_category = forms.ChoiceField(
        choices=Request.Category.choices,
        initial=Request.Category.QUESTION,
        required=False,
        label="Category",
    )
    request_priority = forms.ChoiceField(
        choices=Request.Priority.choices,
        initial=Request.Priority.NORMAL,
        required=False,
        label="Priority",
    )

    resume = forms.ModelMultipleChoiceField(
        queryset=Request.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="End the pause of",
        help_text="This message gives the CDMO what it was waiting for: its clocks run again.",
    )

    class Meta:
        model = Communication
        fields = [
            "channel",
            "direction",
            "occurred_at",
            "subject",
            "summary",
            "participants",
            "needs_response",
            "requests",
        ]
        labels = {"requests": "Attach to open requests", "needs_response": "Needs a response"}
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "participants": forms.CheckboxSelectMultiple,
            "requests": forms.CheckboxSelectMultiple,
            "direction": forms.RadioSelect,
        }

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["participants"].queryset = Contact.objects.filter(
            sponsor_id=project.sponsor_id, cdmo_id=project.cdmo_id
        )
        open_requests = Request.objects.filter(
            sponsor_id=project.sponsor_id, project=project, status__in=Request.OPEN_STATUSES
        )
        if self.instance.pk:
            # Keep requests it is already attached to selectable even once they are closed.
            open_requests = open_requests | Request.objects.filter(
                sponsor_id=project.sponsor_id, communications=self.instance
            )
            for name in ("open_request", "request_category", "request_priority"):
                del self.fields[name]
            if self.instance.is_closed:
                self.fields["reason"] = forms.CharField(
                    max_length=500,
                    label="Reason for the change",
                    widget=forms.Textarea(attrs={"rows": 2}),
                    help_text="It belongs to closed requests only; the audit trail keeps why "
                    "it changed.",
                )
        self.fields["requests"].queryset = open_requests.distinct()
        if "open_request" in self.fields:
            self.fields["resume"].queryset = Request.objects.filter(
                sponsor_id=project.sponsor_id,
                project=project,
                status=Request.Status.WAITING_ON_SPONSOR,
            )
        else:
            del self.fields["resume"]
        self.fields["summary"].max_length = Communication.SUMMARY_MAX_LENGTH
        self.fields["direction"].choices = Communication.Direction.choices

    def clean_occurred_at(self):
        occurred_at = self.cleaned_data["occurred_at"]
        refuse_implausible(occurred_at, "That time")
        return occurred_at.replace(second=0, microsecond=0)

    def clean(self):
        cleaned = super().clean()
        direction = cleaned.get("direction")
        needs_response = cleaned.get("needs_response")
        if direction == Communication.Direction.INBOUND:
            if needs_response:
                self.add_error("needs_response", "Only a message to the CDMO can need a response.")
        elif cleaned.get("open_request"):
            # An ask that opens a request expects an answer by definition.
            cleaned["needs_response"] = True
        if "request_category" in self.fields:
            cleaned["request_category"] = (
                cleaned.get("request_category") or Request.Category.QUESTION
            )
            cleaned["request_priority"] = cleaned.get("request_priority") or Request.Priority.NORMAL
        occurred_at = cleaned.get("occurred_at")
        for request in cleaned.get("resume") or ():
            if direction != Communication.Direction.OUTBOUND:
                self.add_error("resume", "Only the sponsor's own message can end its pause.")
                break
            pause = request.pauses.filter(ended_at__isnull=True).first()
            if occurred_at and pause and occurred_at < pause.started_at:
                self.add_error(
                    "resume", f"“{request.title}” was paused after this message was sent."
                )
        occurred_at = cleaned.get("occurred_at")
        for request in cleaned.get("requests") or ():
            if occurred_at and occurred_at < request.opened_at:
                self.add_error(
                    "requests",
                    f"“{request.title}” was opened after this interaction; "
                    "nothing on a request may be dated before it opened.",
                )
        return cleaned


class DeleteWithReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the audit trail with the deleted record.",
    )


class TimelineFilterForm(forms.Form):
    """Filters of the project timeline, read from the query string."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    channel = forms.ChoiceField(
        required=False, choices=[("", "Any channel"), *Communication.Channel.choices]
    )
    direction = forms.ChoiceField(
        required=False, choices=[("", "Both directions"), *Communication.Direction.choices]
    )
    since = forms.DateField(required=False, widget=DateInput(), label="From")
    until = forms.DateField(required=False, widget=DateInput(), label="To")

    def __init__(self, *args, **kwargs):
        # The log form on the same page has channel and direction fields too.
        kwargs.setdefault("auto_id", "filter_%s")
        super().__init__(*args, **kwargs)

    def _plausible_date(self, name):
        # Year 1 or 9999 in the user's zone does not survive the conversion to UTC (SQLite).
        day = self.cleaned_data.get(name)
        if day and not EARLIEST_ENTRY.date() <= day <= LATEST_FILTER_DATE:
            raise forms.ValidationError("Choose a date between 2000 and 2100.")
        return day

    def clean_since(self):
        return self._plausible_date("since")

    def clean_until(self):
        return self._plausible_date("until")


class SearchForm(forms.Form):
    """The search box, read from the query string: the text, one kind of result, its page."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    kind = forms.ChoiceField(
        required=False, choices=[("", "Everything"), *KINDS.items()], label="Show"
    )
    page = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE,
        error_messages={"max_value": "Only the first pages are listed: narrow the search."},
    )

    def __init__(self, *args, **kwargs):
        # The search box in the top bar has a field "q" too.
        kwargs.setdefault("auto_id", "search_%s")
        super().__init__(*args, **kwargs)


class CDMOForm(forms.ModelForm):
    website = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = CDMO
        fields = ["name", "status", "website", "email_domains", "modalities", "services", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, sponsor, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.sponsor = sponsor

    def clean_name(self):
        return unique_name(
            self.cleaned_data["name"],
            among=CDMO.objects.filter(sponsor=self.instance.sponsor),
            instance=self.instance,
            message="Your portfolio already has a CDMO of that name.",
        )


class SiteForm(forms.ModelForm):
    time_zone = forms.ChoiceField(choices=time_zone_choices)

    class Meta:
        model = Site
        fields = ["name", "country", "subdivision", "time_zone"]

    def clean_name(self):
        return unique_name(
            self.cleaned_data["name"],
            among=Site.objects.filter(cdmo_id=self.instance.cdmo_id),
            instance=self.instance,
            message="This CDMO already has a site of that name.",
        )

    def clean_country(self):
        import holidays

        country = self.cleaned_data["country"].strip().upper()
        if country not in holidays.list_supported_countries():
            raise forms.ValidationError(
                "Unknown country code; use the two-letter ISO code, e.g. CH or US."
            )
        return country

    def clean(self):
        import holidays

        cleaned = super().clean()
        country, subdivision = cleaned.get("country"), cleaned.get("subdivision", "").strip()
        if country and subdivision:
            known = holidays.list_supported_countries().get(country, [])
            if subdivision.upper() not in {s.upper() for s in known}:
                self.add_error("subdivision", f"{country} has no subdivision “{subdivision}”.")
        return cleaned


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "email", "phone", "function"]


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "name",
            "code",
            "cdmo",
            "site",
            "service_type",
            "phase",
            "status",
            "owner",
            "spoc",
            "start_date",
            "end_date",
            "sla_policy",
        ]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def __init__(self, *args, sponsor, **kwargs):
        from django.contrib.auth import get_user_model

        super().__init__(*args, **kwargs)
        self.instance.sponsor = sponsor
        self.fields["cdmo"].queryset = CDMO.objects.filter(sponsor=sponsor)
        self.fields["site"].queryset = Site.objects.filter(sponsor=sponsor).select_related("cdmo")
        self.fields["spoc"].queryset = Contact.objects.filter(sponsor=sponsor).select_related(
            "cdmo"
        )
        self.fields["spoc"].label_from_instance = lambda c: f"{c.name} ({c.cdmo.name})"
        self.fields["sla_policy"].queryset = SLAPolicy.objects.filter(sponsor=sponsor)
        self.fields["owner"].queryset = get_user_model().objects.filter(
            memberships__sponsor=sponsor, memberships__role__in=WRITE_ROLES
        )

    def clean_code(self):
        return unique_name(
            self.cleaned_data["code"].upper(),
            among=Project.objects.filter(sponsor=self.instance.sponsor),
            instance=self.instance,
            message="Another project already uses this code.",
            field="code",
        )


class StatusChangeForm(forms.Form):
    """Resolve, cancel, reopen or resume, optionally dated in the past."""

    at = forms.DateTimeField(
        required=False,
        label="When",
        input_formats=DATETIME_INPUT_FORMATS,
        widget=LocalDateTimeInput(),
        help_text="Blank: now.",
    )
    note = forms.CharField(required=False, max_length=500, label="Note")

    def clean_at(self):
        at = self.cleaned_data.get("at")
        refuse_implausible(at, "That time")
        return at


class ReopenForm(StatusChangeForm):
    """Reopening changes a closed request: the note is its reason, kept in the trail."""

    note = forms.CharField(max_length=500, label="Reason")


class PauseForm(StatusChangeForm):
    reason_category = forms.ChoiceField(choices=Pause.Reason.choices, label="Waiting for")
    reason = forms.CharField(max_length=500, label="Reason")


class ReclassifyForm(forms.Form):
    category = forms.ChoiceField(choices=Request.Category.choices)
    priority = forms.ChoiceField(choices=Request.Priority.choices)
    note = forms.CharField(required=False, max_length=500)
