"""Turn one due notice into in-app notifications and e-mails, exactly once."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from engagements.models import Membership, Role

from .models import Breach, Clock, ClockState, Notice, NoticeKind, Notification

logger = logging.getLogger(__name__)

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


def handle_one(notice_id, now=None):
    """Claim a due notice and deliver it; False when another sweep already has it."""
    now = now or timezone.now()
    claimed = Notice.objects.filter(pk=notice_id, claimed_at__isnull=True, sent_at__isnull=True)
    if claimed.update(claimed_at=now) != 1:
        return False
    notice = Notice.objects.select_related(
        "request", "request__project", "request__project__owner", "request__project__cdmo"
    ).get(pk=notice_id)
    if _still_relevant(notice, now):
        for user in recipients(notice):
            _notify(notice, user)
    Notice.objects.filter(pk=notice_id).update(sent_at=timezone.now())
    return True


def _subject(notice):
    request = notice.request
    clock_label = dict(Notice._meta.get_field("clock_kind").choices)[notice.clock_kind].lower()
    what = {
        NoticeKind.WARNING: f"Due soon: {clock_label}",
        NoticeKind.BREACH: f"Breached: {clock_label}",
        NoticeKind.ESCALATION: f"Escalation {notice.step}: {clock_label} breached",
    }[notice.kind]
    return f"{what} — {request.project.code} “{request.title}”"[:300]


def _notify(notice, user):
    with transaction.atomic():
        notification, created = Notification.objects.get_or_create(
            notice=notice,
            user=user,
            defaults={
                "sponsor_id": notice.sponsor_id,
                "request": notice.request,
                "subject": _subject(notice),
            },
        )
    if created and user.email:
        _send_email(notification, notice, user)


def _send_email(notification, notice, user):
    request = notice.request
    link = settings.SITE_URL + reverse(
        "request_detail", args=[request.project.sponsor.slug, request.pk]
    )
    context = {
        "user": user,
        "notice": notice,
        "request": request,
        "project": request.project,
        "link": link,
        "role_label": ROLE_LABELS.get(notice.role, notice.role),
        "subject": notification.subject,
    }
    message = EmailMultiAlternatives(
        subject=f"[CDMO Portal] {notification.subject}",
        body=render_to_string("emails/sla_notice.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string("emails/sla_notice.html", context), "text/html")
    try:
        message.send()
    except OSError:
        logger.exception("could not e-mail notification %s", notification.pk)
        return
    Notification.objects.filter(pk=notification.pk).update(email_sent_at=timezone.now())
