"""The periodic SLA sweep: reconcile stale clocks, record due breaches, send due notices.

Safe to run any number of times, on any number of beat hosts: recomputes are idempotent,
and each notice and each e-mail is claimed by a conditional update before anything is sent.
"""

import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from engagements.models import Request

from . import clock, notify, recompute
from .models import Breach, Clock

logger = logging.getLogger(__name__)


def run(now=None, batch=2000):
    """One sweep; returns what it did, for logs and the benchmark."""
    started = time.monotonic()
    now = clock.truncate(now or timezone.now())
    stale = list(
        Request.objects.filter(clocks_stale=True)
        .order_by("id")
        .values_list("id", flat=True)[:batch]
    )
    for request_id in stale:
        recompute.recompute(request_id, now)
    due = record_due_breaches(now, batch)
    sent = send_due_notices(now, batch)
    # Stop sending in time to finish within the soft time limit, one SMTP timeout to spare.
    deadline = started + settings.CELERY_TASK_SOFT_TIME_LIMIT - 2 * settings.EMAIL_TIMEOUT
    emails = notify.send_due_emails(now, batch, deadline=deadline)
    summary = {"stale": len(stale), "due": due, "notices": sent, "emails": emails}
    if stale or due or sent or emails:
        logger.info("sla sweep: %s", summary)
    return summary


def record_due_breaches(now, batch=2000):
    """Running clocks past their due time are breached at it: set-based, no replay needed.

    Their requests were recomputed after their last change (stale ones just above), so a
    running clock's due time is final; its breach notice was scheduled for that instant.
    """
    request_ids = sorted(
        set(
            Clock.objects.filter(state="running", due_at__lt=now)
            .order_by("due_at")
            .values_list("request_id", flat=True)[:batch]
        )
    )
    if not request_ids:
        return 0
    with transaction.atomic():
        # The row locks a recompute takes: a breach it records meanwhile is seen below, so each
        # breach is recorded (and audited) once.
        list(
            Request.objects.select_for_update()
            .filter(pk__in=request_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        rows = list(
            Clock.objects.filter(
                state="running", due_at__lt=now, request_id__in=request_ids
            ).values_list("id", "sponsor_id", "request_id", "kind", "started_at", "due_at")
        )
        recorded = set(
            Breach.objects.filter(request_id__in=request_ids).values_list(
                "request_id", "clock_kind", "clock_started_at"
            )
        )
        Breach.objects.bulk_create(
            Breach(
                sponsor_id=sponsor_id,
                request_id=request_id,
                clock_kind=kind,
                clock_started_at=started_at,
                breached_at=due_at,
            )
            for _, sponsor_id, request_id, kind, started_at, due_at in rows
            if (request_id, kind, started_at) not in recorded
        )
        Clock.objects.filter(id__in=[row[0] for row in rows], state="running").update(
            state="breached", outcome_at=F("due_at")
        )
    return len(rows)


def send_due_notices(now, batch=2000):
    ids = list(
        notify.claimable_notices(now)
        .filter(fire_at__lte=now)
        .order_by("fire_at")
        .values_list("id", flat=True)[:batch]
    )
    return sum(1 for notice_id in ids if notify.handle_one(notice_id, now))
