"""What other apps may use of scorecards: the one door in (import-linter enforces it).

engagements writes the facts; scorecards computes from them. A writer tells scorecards what
changed with `facts_changed` *inside its own transaction* (no signals: the stale mark is
visible at the call and commits or rolls back with the write), and reads computed figures
through the functions below. The pure business-time types are re-exported for the terms
engagements configures (calendars and their previews).

The computing modules are imported inside the functions: they import engagements' models and
terms, which import this module.
"""

from .clock import (
    ALWAYS_OPEN,
    DEFAULT_WEEK,
    Calendar,
    next_working_intervals,
    truncate,
    validate_weekly,
    working_minutes,
)
from .models import Notification
from .sla import ClockKind, ClockState

__all__ = [
    "ALWAYS_OPEN",
    "Calendar",
    "ClockKind",
    "ClockState",
    "compute_now",
    "facts_changed",
    "next_working_intervals",
    "request_clocks",
    "stored_week",
    "truncate",
    "unread_alerts",
    "validate_weekly",
    "working_minutes",
]


def stored_week():
    """The default working week (Mon–Fri 09:00–17:00) as JSON-ready lists of minutes."""
    return [[list(span) for span in day] for day in DEFAULT_WEEK]


def facts_changed(*, project=None, requests=()):
    """Mark what depends on these facts stale, in the caller's transaction; recompute after it.

    `project`: its communications changed (contact figures). `requests`: their clocks.
    If the broker is down the enqueue is lost, not the write: the sweep finds the stale rows.
    """
    from cdmo_portal.queue import enqueue_on_commit
    from engagements.models import Request

    from . import activity, tasks

    if project is not None:
        activity.mark_stale(project)
        enqueue_on_commit(tasks.recompute_project_activity, project.pk)
    for request in requests:
        Request.objects.filter(pk=request.pk).update_computed(clocks_stale=True)
        enqueue_on_commit(tasks.recompute_request_clocks, request.pk)


def compute_now(*, projects=(), requests=(), now, settle_past_notices=False):
    """Compute figures and clocks at once, in this process (the demo seed, imports).

    `settle_past_notices`: notices already due when the history is loaded are history, not
    news: marked sent without sending.
    """
    from . import activity, recompute
    from .models import Notice

    for project in projects:
        activity.mark_stale(project)
        activity.recompute(project.pk)
    for request in requests:
        recompute.recompute(request.pk, now)
    if settle_past_notices:
        Notice.objects.filter(request__in=requests, fire_at__lte=now).update(
            claimed_at=now, sent_at=now
        )


def request_clocks(request, now):
    """The clocks of one request for its page, with minutes so far read live at `now`.

    Returns (clocks, sponsor_wait_minutes). A running clock's `used_minutes` counts to now;
    a breached one still open gets `late_so_far`.
    """
    from engagements.terms import calendar_from

    from . import sla
    from .models import Clock

    clocks = list(Clock.objects.filter(request=request).order_by("started_at", "kind"))
    now = truncate(now)
    calendar = calendar_from(request.calendar_snapshot)
    pauses = list(request.pauses.values_list("started_at", "ended_at"))
    for item in clocks:
        if item.stopped_at is None:  # still counting: minutes so far are read live
            item.used_minutes = working_minutes(calendar, item.started_at, now, pauses)
        if item.state == ClockState.BREACHED and item.stopped_at is None and item.due_at:
            item.late_so_far = working_minutes(calendar, item.due_at, now, pauses)
    return clocks, sla.sponsor_wait(calendar, pauses, now)


def unread_alerts(user, sponsor):
    """How many of the user's alerts for this sponsor are unread (the navigation badge)."""
    return Notification.objects.filter(user=user, sponsor=sponsor, read_at__isnull=True).count()
