"""What is computed from the engagement log: activity figures, clocks, breaches, notices.

Computed, never typed in; the terms they are computed by (calendars, SLA policies) are
engagements' configuration.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from audit.trail import AuditedQuerySet, AuditedRecords

from .sla import ClockKind, ClockState


def default_weekly():
    """Kept for migration 0002, from when calendars lived here (engagements.models now)."""
    from .api import stored_week

    return stored_week()


class ProjectActivity(models.Model):
    """Per-project contact figures, denormalised for the portfolio and "My work" pages.

    `is_stale` is set in the same transaction as any write to the project's communications;
    the recompute task clears it, and the sweep recomputes whatever a lost enqueue left stale.
    """

    project = models.OneToOneField(
        "engagements.Project", on_delete=models.CASCADE, related_name="activity"
    )
    sponsor = models.ForeignKey("engagements.Sponsor", on_delete=models.CASCADE, related_name="+")
    last_contact_at = models.DateTimeField(null=True)
    last_inbound_at = models.DateTimeField(null=True)
    last_outbound_at = models.DateTimeField(null=True)
    communication_count = models.PositiveIntegerField(default=0)
    is_stale = models.BooleanField(default=True)
    computed_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name_plural = "project activity"
        indexes = [
            models.Index(
                fields=["is_stale"], name="activity_stale", condition=models.Q(is_stale=True)
            ),
            models.Index(fields=["sponsor", "-last_contact_at"]),
        ]

    def __str__(self):
        return f"activity of project {self.project_id}"


class Clock(models.Model):
    """One computed clock of a request, replaced whole on every recompute."""

    sponsor = models.ForeignKey("engagements.Sponsor", on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(
        "engagements.Request", on_delete=models.CASCADE, related_name="clocks"
    )
    kind = models.CharField(max_length=16, choices=ClockKind.choices)
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True)
    target_minutes = models.PositiveIntegerField(null=True)
    due_at = models.DateTimeField(null=True)
    state = models.CharField(max_length=10, choices=ClockState.choices)
    used_minutes = models.PositiveIntegerField(default=0)
    late_minutes = models.PositiveIntegerField(null=True)
    # Where the outcome counts for compliance: the stop when met, the due time when breached.
    outcome_at = models.DateTimeField(null=True)
    warning_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["started_at", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "kind", "started_at"], name="clock_unique_start"
            )
        ]
        indexes = [
            models.Index(fields=["due_at"], name="clock_running_due", condition=Q(state="running")),
            models.Index(fields=["sponsor", "outcome_at"], name="clock_outcome"),
            models.Index(fields=["sponsor", "state", "due_at"], name="clock_open_requests"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} from {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def remaining_minutes(self):
        if self.target_minutes is None:
            return None
        return max(self.target_minutes - self.used_minutes, 0)


class Breach(models.Model):
    """A clock that went past its due time. Kept when a recompute withdraws it."""

    sponsor = models.ForeignKey("engagements.Sponsor", on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(
        "engagements.Request", on_delete=models.CASCADE, related_name="breaches"
    )
    clock_kind = models.CharField(max_length=16, choices=ClockKind.choices)
    clock_started_at = models.DateTimeField()
    breached_at = models.DateTimeField(help_text="The clock's due time, not when it was noticed.")
    recorded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=200, blank=True)

    objects = AuditedQuerySet.as_manager()
    history = AuditedRecords()

    class Meta:
        verbose_name_plural = "breaches"
        constraints = [
            models.UniqueConstraint(
                fields=["request", "clock_kind", "clock_started_at"], name="breach_once_per_clock"
            )
        ]
        indexes = [models.Index(fields=["sponsor", "-breached_at"])]

    def __str__(self):
        return f"{self.get_clock_kind_display()} breached {self.breached_at:%Y-%m-%d %H:%M}"


class NoticeKind(models.TextChoices):
    WARNING = "warning", "Due soon"
    BREACH = "breach", "Breached"
    ESCALATION = "escalation", "Escalation"


class Notice(models.Model):
    """A warning, breach notice or escalation step: scheduled by a recompute, sent once.

    The unique constraint decides "exactly once"; the sweep claims a due notice with a
    conditional update before it sends anything.
    """

    sponsor = models.ForeignKey("engagements.Sponsor", on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(
        "engagements.Request", on_delete=models.CASCADE, related_name="notices"
    )
    clock_kind = models.CharField(max_length=16, choices=ClockKind.choices)
    clock_started_at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=NoticeKind.choices)
    step = models.PositiveSmallIntegerField(default=0)
    role = models.CharField(max_length=16, default="owner")
    fire_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True)
    sent_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["request", "clock_kind", "clock_started_at", "kind", "step"],
                name="notice_once",
            )
        ]
        indexes = [
            models.Index(fields=["fire_at"], name="notice_due", condition=Q(sent_at__isnull=True))
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for request {self.request_id}"


class Notification(models.Model):
    """What a user sees in the app (and gets by e-mail) for a notice."""

    sponsor = models.ForeignKey("engagements.Sponsor", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="notifications")
    request = models.ForeignKey("engagements.Request", on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "user"], name="notification_once_per_user")
        ]
        indexes = [models.Index(fields=["user", "sponsor", "read_at"])]

    def __str__(self):
        return self.subject


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class EmailDelivery(models.Model):
    """The e-mail of one notification, persisted before it is sent (scorecards.notify).

    pending → sending (claimed, attempts + 1) → sent, or back to pending with last_error and a
    later next_attempt_at, or failed once it cannot be built or the give-up horizon has passed.
    A claim older than the task time limit is taken over, so a killed worker strands nothing.
    """

    sponsor = models.ForeignKey("engagements.Sponsor", on_delete=models.CASCADE, related_name="+")
    notification = models.OneToOneField(
        Notification, on_delete=models.CASCADE, related_name="email_delivery"
    )
    to = models.CharField(max_length=254)
    state = models.CharField(
        max_length=8, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "e-mail deliveries"
        constraints = [
            models.CheckConstraint(
                condition=Q(state="sent", sent_at__isnull=False)
                | (~Q(state="sent") & Q(sent_at__isnull=True)),
                name="email_delivery_sent_iff_sent_at",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="email_delivery_due",
                condition=Q(state__in=["pending", "sending"]),
            )
        ]

    def __str__(self):
        return f"E-mail to {self.to} ({self.state})"
