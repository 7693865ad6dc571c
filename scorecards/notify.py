"""Turn due notices into in-app notifications, and their e-mails into deliveries sent once.

Two steps, each safe to repeat and to run on several hosts at once:

1. `handle_one(notice)`: in one transaction, claim the notice, write one Notification per
   recipient and, for those with an address, a pending EmailDelivery (the outbox). A worker
   killed here leaves nothing behind; a claim stranded by older code expires.
2. `send_due_emails()`: claim each due delivery (pending → sending, attempts + 1), send it, and
   mark it sent right after the SMTP server accepted it. A failure is recorded on its row
   (last_error) and retried with exponential backoff until the give-up horizon; a message that
   cannot be built fails at once; one bad message never stops the others, and a server that is
   down or hung ends the batch after one bounded try (EMAIL_TIMEOUT). A claim older than the
   task's time limit plus a margin is taken over, so a killed worker strands no e-mail.

"Exactly once" holds except in the instant between the server's acceptance and the sent
marker: a worker killed there resends after the claim expires, with the same Message-ID.
"""

import logging
import re
import smtplib
import time
import unicodedata
from datetime import timedelta
from urllib.parse import urlparse

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import sanitize_address
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cdmo_portal.links import absolute_url
from engagements.models import Membership, Request, Role

from .models import (
    Breach,
    Clock,
    ClockState,
    DeliveryState,
    EmailDelivery,
    Notice,
    NoticeKind,
    Notification,
)

logger = logging.getLogger(__name__)

# Retries wait 1, 2, 4 … minutes, at most an hour apart; a day after its notice an alert that
# still could not be e-mailed is given up (it stays in the app, and the row says why).
FIRST_RETRY_DELAY = timedelta(minutes=1)
LONGEST_RETRY_DELAY = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(hours=24)
CLAIM_MARGIN = timedelta(minutes=1)

ROLE_LABELS = {"owner": "project owner", "admin": "sponsor lead", "executive": "executive"}


def recipients(notice):
    project = notice.request.project
    if notice.role == "owner":
        # Only while still a member: an owner who left the sponsor hears nothing more of it.
        owner = project.owner
        member = Membership.objects.filter(user=owner, sponsor_id=notice.sponsor_id).exists()
        return [owner] if owner.is_active and member else []
    role = Role.ADMIN if notice.role == "admin" else Role.EXECUTIVE
    return [
        m.user
        for m in Membership.objects.filter(sponsor_id=notice.sponsor_id, role=role)
        .select_related("user")
        .order_by("user_id")
        if m.user.is_active
    ]


def _still_relevant(notice, now):
    """A warning is moot once its clock stopped or breached; a withdrawn breach is news no more."""
    if notice.kind == NoticeKind.WARNING:
        return Clock.objects.filter(
            request_id=notice.request_id,
            kind=notice.clock_kind,
            started_at=notice.clock_started_at,
            state__in=[ClockState.RUNNING, ClockState.PAUSED],
        ).exists()
    return Breach.objects.filter(
        request_id=notice.request_id,
        clock_kind=notice.clock_kind,
        clock_started_at=notice.clock_started_at,
        withdrawn_at__isnull=True,
    ).exists()


def claim_expiry():
    """How old a claim must be before another sweep may take it over: past any task's life."""
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) + CLAIM_MARGIN


def claimable_notices(now):
    """Notices not yet handled and not held by a live claim."""
    return Notice.objects.filter(sent_at__isnull=True).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - claim_expiry())
    )


def handle_one(notice_id, now=None):
    """Claim a due notice and turn it into notifications and pending e-mails, in one
    transaction; False when another sweep already has it."""
    now = now or timezone.now()
    with transaction.atomic():
        # The request's row lock first, in the order a recompute takes its locks (request, then
        # notices), so the two never deadlock; relevance is then read after any recompute.
        locked = Request.objects.select_for_update(of=("self",)).filter(notices__id=notice_id)
        if not list(locked.values_list("pk", flat=True)):
            return False
        if claimable_notices(now).filter(pk=notice_id).update(claimed_at=now) != 1:
            return False
        notice = Notice.objects.select_related(
            "request", "request__project", "request__project__owner", "request__project__cdmo"
        ).get(pk=notice_id)
        if _still_relevant(notice, now):
            for user in recipients(notice):
                _notify(notice, user, now)
        Notice.objects.filter(pk=notice_id).update(sent_at=timezone.now())
    return True


def header_safe(value):
    """A header value with no line break or other control character: a title typed (or
    posted) with CR/LF can neither inject a header nor make the mail library refuse it."""
    cleaned = "".join(
        " " if unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} else ch for ch in value
    )
    return re.sub(r"\s+", " ", cleaned).strip()


def _subject(notice):
    request = notice.request
    clock_label = dict(Notice._meta.get_field("clock_kind").choices)[notice.clock_kind].lower()
    what = {
        NoticeKind.WARNING: f"Due soon: {clock_label}",
        NoticeKind.BREACH: f"Breached: {clock_label}",
        NoticeKind.ESCALATION: f"Escalation {notice.step}: {clock_label} breached",
    }[notice.kind]
    return header_safe(f"{what} — {request.project.code} “{request.title}”")[:300]


def _notify(notice, user, now):
    notification, _ = Notification.objects.get_or_create(
        notice=notice,
        user=user,
        defaults={
            "sponsor_id": notice.sponsor_id,
            "request": notice.request,
            "subject": _subject(notice),
        },
    )
    if user.email and notification.email_sent_at is None:
        EmailDelivery.objects.get_or_create(
            notification=notification,
            defaults={
                "sponsor_id": notice.sponsor_id,
                "to": user.email,
                "next_attempt_at": now,
                "created_at": now,
            },
        )


def due_deliveries(now):
    """Pending deliveries whose time has come, and claims old enough to be taken over."""
    return EmailDelivery.objects.filter(
        Q(state=DeliveryState.PENDING, next_attempt_at__lte=now)
        | Q(state=DeliveryState.SENDING, claimed_at__lt=now - claim_expiry())
    )


def send_due_emails(now=None, batch=2000, deadline=None):
    """Send the due e-mails; returns how many the SMTP server accepted.

    `deadline` (a time.monotonic() value) ends the batch early so that the task finishes
    within its time limit; whatever is left stays due for the next sweep.
    """
    now = now or timezone.now()
    ids = list(
        due_deliveries(now).order_by("next_attempt_at", "id").values_list("id", flat=True)[:batch]
    )
    sent = 0
    connection = None
    try:
        for delivery_id in ids:
            if deadline is not None and time.monotonic() > deadline:
                break
            delivery = _claim(delivery_id, now)
            if delivery is None:
                continue
            try:
                message = _build(delivery)
            except Exception as exc:  # a message that cannot be built never will be
                _fail(delivery, exc, now=now, permanent=True)
                continue
            connection = connection or get_connection()
            try:
                connection.send_messages([message])
            except SoftTimeLimitExceeded:
                raise  # the claim expires; the next sweep retries it
            except Exception as exc:  # recorded on the row, retried with backoff
                _fail(delivery, exc, now=now)
                _close(connection)
                connection = None
                if _server_unavailable(exc):
                    break
                continue
            if _mark_sent(delivery):
                sent += 1
    finally:
        if connection is not None:
            _close(connection)
    return sent


def _claim(delivery_id, now):
    claimed = (
        due_deliveries(now)
        .filter(pk=delivery_id)
        .update(state=DeliveryState.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if claimed != 1:
        return None
    return EmailDelivery.objects.select_related(
        "notification__notice__request__project__sponsor",
        "notification__notice__request__project__cdmo",
        "notification__user",
    ).get(pk=delivery_id)


def _build(delivery):
    """The message, built (and its headers checked) before any connection is opened."""
    notification = delivery.notification
    notice = notification.notice
    request = notice.request
    user = notification.user
    link = absolute_url(reverse("request_detail", args=[request.project.sponsor.slug, request.pk]))
    context = {
        "user": user,
        "notice": notice,
        "request": request,
        "project": request.project,
        "link": link,
        "role_label": ROLE_LABELS.get(notice.role, notice.role),
        "subject": notification.subject,
    }
    host = urlparse(settings.SITE_URL).hostname or "localhost"
    # Times in the recipient's own zone, as everywhere in the app.
    with timezone.override(user.time_zone or settings.TIME_ZONE):
        text = render_to_string("emails/sla_notice.txt", context)
        html = render_to_string("emails/sla_notice.html", context)
    message = EmailMultiAlternatives(
        subject=header_safe(f"[CDMO Portal] {notification.subject}"),
        body=text,
        to=[delivery.to],
        # The same id on every attempt, so that a resend after a lost marker can be told apart.
        headers={"Message-ID": f"<notification-{notification.pk}@{host}>"},
    )
    message.attach_alternative(html, "text/html")
    # Raise here, before any connection, if a header or an address is refused.
    message.message()
    for address in message.recipients():
        sanitize_address(address, message.encoding or settings.DEFAULT_CHARSET)
    return message


def _mark_sent(delivery):
    """The sent marker, written right after the server accepted the message, within the claim."""
    sent_at = timezone.now()
    with transaction.atomic():
        marked = EmailDelivery.objects.filter(
            pk=delivery.pk, state=DeliveryState.SENDING, attempts=delivery.attempts
        ).update(state=DeliveryState.SENT, sent_at=sent_at, last_error="")
        if marked:
            Notification.objects.filter(pk=delivery.notification_id).update(email_sent_at=sent_at)
    if not marked:
        logger.error("e-mail delivery %s was taken over while it was being sent", delivery.pk)
    return bool(marked)


def _fail(delivery, exc, *, now, permanent=False):
    """Record the failure on the row; retry later, or give up past the horizon."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if permanent or now - delivery.created_at >= GIVE_UP_AFTER:
        changes = {"state": DeliveryState.FAILED}
        logger.error("e-mail delivery %s failed for good: %s", delivery.pk, error)
    else:
        delay = min(FIRST_RETRY_DELAY * 2 ** (delivery.attempts - 1), LONGEST_RETRY_DELAY)
        changes = {"state": DeliveryState.PENDING, "next_attempt_at": now + delay}
        logger.warning(
            "e-mail delivery %s failed (attempt %s), retried in %s: %s",
            delivery.pk,
            delivery.attempts,
            delay,
            error,
        )
    EmailDelivery.objects.filter(
        pk=delivery.pk, state=DeliveryState.SENDING, attempts=delivery.attempts
    ).update(last_error=error, **changes)


def _server_unavailable(exc):
    """Down, refusing service or hung: trying the next message now would only wait again."""
    if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(code == 421 for code, _ in exc.recipients.values())
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def _close(connection):
    try:
        connection.close()
    except Exception:  # a dead server cannot be told goodbye
        logger.debug("could not close the SMTP connection", exc_info=True)
