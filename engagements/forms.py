"""Django forms for the engagement log and the portfolio. Querysets are scoped by the caller."""

import uuid
from datetime import date

from django import forms

from accounts.timezones import time_zone_choices
from audit.trail import ensure_unchanged, latest_version_id

from . import services
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


LATEST_FILTER_DATE = date(2100, 12, 31)


def refuse_implausible(value, what="This"):
    """The services' rule for every typed instant, checked as the field is cleaned."""
    if value:
        services.check_time(value, what)


class SeenVersionMixin:
    """An edit form remembers which audit version it was opened on (issue 18: lost updates).

    Saving over a later version is refused (audit.trail.ensure_unchanged), and the editor is
    shown what changed meanwhile, with their own input kept.
    """

    def add_seen_version(self):
        if self.instance.pk is None:
            return
        self.fields["seen_version"] = forms.IntegerField(required=False, widget=forms.HiddenInput)
        if not self.is_bound:
            self.initial["seen_version"] = latest_version_id(type(self.instance), self.instance.pk)

    @property
    def seen_version(self):
        return self.cleaned_data.get("seen_version") if "seen_version" in self.fields else None


class CommunicationForm(SeenVersionMixin, forms.ModelForm):
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
        self.add_seen_version()
        if self.instance.pk is None:
            # One key per rendered form: submitting it twice logs once (issue 18, item 5).
            self.fields["submission_key"] = forms.UUIDField(
                required=False, widget=forms.HiddenInput, initial=uuid.uuid4
            )
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
        # No maxlength in the browser: it cuts pasted text without a word. Over-long text comes
        # back with a message and as typed.
        for name in ("subject", "summary"):
            self.fields[name].widget.attrs.pop("maxlength", None)
        if not self.instance.pk:
            self.fields["occurred_at"].required = False
            self.fields[
                "occurred_at"
            ].help_text = "In your time zone. Leave empty for now — the moment you press Log."
        self.fields["direction"].choices = Communication.Direction.choices

    def clean_occurred_at(self):
        # Untouched on the log form, "When" means now, at submission — not when the page loaded.
        occurred_at = self.cleaned_data["occurred_at"] or services.now_minute()
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
        if day and not services.EARLIEST_ENTRY.date() <= day <= LATEST_FILTER_DATE:
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


class ProjectForm(SeenVersionMixin, forms.ModelForm):
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

    def __init__(self, *args, sponsor, can_change_policy=False, **kwargs):
        from django.contrib.auth import get_user_model

        super().__init__(*args, **kwargs)
        self.add_seen_version()
        # The SLA terms are the sponsor's: only its admins move a project to other terms,
        # with a reason the trail keeps (issue 18, item 9). Requests keep the version they
        # opened with, so the change applies to requests opened after it.
        policy = self.fields["sla_policy"]
        if not can_change_policy:
            policy.disabled = True
            policy.help_text = "Set by a sponsor admin. Blank: the sponsor's default policy."
        elif self.instance.pk:
            self.fields["policy_reason"] = forms.CharField(
                required=False,
                max_length=500,
                label="Reason for changing the SLA policy",
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="Required when the policy changes; requests already open keep theirs.",
            )
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

    def clean(self):
        cleaned = super().clean()
        if (
            "sla_policy" in self.changed_data
            and self.instance.pk
            and "policy_reason" in self.fields
        ):
            reason = (cleaned.get("policy_reason") or "").strip()
            if not reason:
                self.add_error("policy_reason", "Say why this project moves to other SLA terms.")
            else:
                self.instance._change_reason = f"SLA policy changed: {reason}"
        return cleaned

    def save(self, commit=True):
        ensure_unchanged(self.instance, self.seen_version)  # inside save_or_render's transaction
        return super().save(commit)

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
