"""The SLA terms a sponsor admin configures: business calendars and versioned SLA policies.

Typed configuration, so engagements owns it; scorecards computes clocks from it. The tables
keep the names they had when these models lived in scorecards (state-only move, migration
engagements 0006), and so do their audit tables.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.timezones import validate_time_zone
from audit.trail import AuditedQuerySet, AuditedRecords


def default_weekly():
    """The default working week (the pure clock's, Mon–Fri 09:00–17:00) as stored JSON."""
    from scorecards.api import stored_week  # read at row creation, after the apps are loaded

    return stored_week()


class BusinessCalendar(models.Model):
    """A sponsor's named working calendar: zone, working intervals per weekday, holidays."""

    sponsor = models.ForeignKey("engagements.Sponsor", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    country = models.CharField(max_length=2, blank=True, help_text="Public holidays of, e.g. DE")
    subdivision = models.CharField(max_length=10, blank=True)
    # weekday (0 = Monday) -> [[start_minute, end_minute], ...] of local time, 1440 = 24:00
    weekly = models.JSONField(default=default_weekly)
    closed_dates = models.JSONField(default=list, blank=True, help_text="ISO dates")

    objects = AuditedQuerySet.as_manager()
    history = AuditedRecords(table_name="scorecards_historicalbusinesscalendar")

    class Meta:
        db_table = "scorecards_businesscalendar"
        constraints = [
            models.UniqueConstraint(fields=["sponsor", "name"], name="calendar_unique_name")
        ]

    def __str__(self):
        return self.name


class SLAPolicy(models.Model):
    """A named policy; its terms live in versions, effective-dated."""

    sponsor = models.ForeignKey("engagements.Sponsor", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    is_default = models.BooleanField(default=False)

    objects = AuditedQuerySet.as_manager()
    history = AuditedRecords(table_name="scorecards_historicalslapolicy")

    class Meta:
        db_table = "scorecards_slapolicy"
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(fields=["sponsor", "name"], name="policy_unique_name"),
            models.UniqueConstraint(
                fields=["sponsor"], condition=Q(is_default=True), name="policy_one_default"
            ),
        ]

    def __str__(self):
        return self.name


class CalendarKind(models.TextChoices):
    SITE = "site", "The CDMO site's calendar"
    SPONSOR = "sponsor", "A sponsor calendar"
    ALWAYS = "always", "24/7"


class EscalationRole(models.TextChoices):
    """Whom an escalation step notifies (SPEC §3 "Warnings and escalation")."""

    OWNER = "owner", "Project owner"
    ADMIN = "admin", "Sponsor lead (admins)"
    EXECUTIVE = "executive", "Executives"


class PolicyVersion(models.Model):
    """The terms of a policy from `effective_from` on. Never edited once a request uses it."""

    sponsor = models.ForeignKey("engagements.Sponsor", on_delete=models.CASCADE, related_name="+")
    policy = models.ForeignKey(SLAPolicy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    effective_from = models.DateTimeField()
    calendar_kind = models.CharField(
        max_length=8, choices=CalendarKind.choices, default=CalendarKind.SITE
    )
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(
        max_length=200, blank=True, help_text="The quality or service agreement it comes from"
    )
    warning_lead_minutes = models.PositiveIntegerField(null=True, blank=True)
    # [{"after_minutes": 240, "role": an EscalationRole value}, ...]
    escalation_steps = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AuditedQuerySet.as_manager()
    history = AuditedRecords(table_name="scorecards_historicalpolicyversion")

    class Meta:
        db_table = "scorecards_policyversion"
        ordering = ["policy", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policy_version_unique"),
            models.CheckConstraint(
                condition=~Q(calendar_kind="sponsor") | Q(calendar__isnull=False),
                name="policy_version_sponsor_calendar_named",
            ),
        ]

    def __str__(self):
        return f"{self.policy} v{self.number}"

    def target_for(self, category, priority):
        """The target row of (category, priority), from prefetched targets; None when absent."""
        for target in self.targets.all():
            if target.category == category and target.priority == priority:
                return target
        return None


class PolicyTarget(models.Model):
    """Targets in business minutes for one (category, priority); blank means no clock."""

    # The target column of each clock kind (scorecards.sla.ClockKind's values).
    COLUMNS = {
        "first_response": "first_response_minutes",
        "next_response": "next_response_minutes",
        "update": "update_interval_minutes",
        "resolution": "resolution_minutes",
    }

    sponsor = models.ForeignKey("engagements.Sponsor", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="targets")
    category = models.CharField(max_length=32)
    priority = models.CharField(max_length=16)
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    update_interval_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)

    objects = AuditedQuerySet.as_manager()
    history = AuditedRecords(table_name="scorecards_historicalpolicytarget")

    class Meta:
        db_table = "scorecards_policytarget"
        constraints = [
            models.UniqueConstraint(
                fields=["version", "category", "priority"], name="policy_target_unique"
            ),
            models.CheckConstraint(
                condition=(Q(first_response_minutes__isnull=True) | Q(first_response_minutes__gt=0))
                & (Q(next_response_minutes__isnull=True) | Q(next_response_minutes__gt=0))
                & (Q(update_interval_minutes__isnull=True) | Q(update_interval_minutes__gt=0))
                & (Q(resolution_minutes__isnull=True) | Q(resolution_minutes__gt=0)),
                name="policy_target_positive",
            ),
        ]

    def __str__(self):
        return f"{self.category}/{self.priority}"

    def minutes(self, kind):
        """The target in business minutes for a clock kind; None: no clock of that kind."""
        return getattr(self, self.COLUMNS[kind])
