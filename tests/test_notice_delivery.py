"""Alert e-mails: persisted before sending, claimed, retried with backoff, never silenced.

Issue 18, items 1 and 2. The SMTP faults themselves (refusing, down, hung, a worker killed
mid-send) are drilled against private servers in tests/test_fault_drills.py.
"""

import email
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from engagements.models import Request, Role
from scorecards import clock, notify, recompute, sweep
from scorecards.models import DeliveryState, EmailDelivery, Notice, Notification

from .factories import MembershipFactory, UserFactory
from .private_servers import free_port
from .test_communication_log import HTMX, form_data
from .test_sla_requests import START, ask, make_policy

HEADERS = {"Subject", "From", "To", "Date", "Message-ID"}
CRAFTED_TITLE = "Send the CoA\r\nBcc: attacker@evil.example\r\n\r\nforged body"


@pytest.fixture
def policy(sponsor):
    """First response in 2 h, no escalation steps: one e-mail per breach."""
    version = make_policy(sponsor, effective_from=START - timedelta(days=30))
    version.escalation_steps = []
    version.save()
    return version


def notices_handled(request, moment):
    """The sweep's steps up to the in-app notifications, without sending any e-mail."""
    recompute.recompute(request.pk, moment)
    sweep.record_due_breaches(moment)
    sweep.send_due_notices(moment)


def executive_policy(sponsor, effective_from):
    """First response in 2 h; escalated to the executives an hour after the breach."""
    version = make_policy(sponsor, effective_from=effective_from)
    version.escalation_steps = [{"after_minutes": 60, "role": "executive"}]
    version.save()
    return version


def executives(sponsor, count=2):
    return [
        MembershipFactory(sponsor=sponsor, role=Role.EXECUTIVE, user=UserFactory()).user
        for _ in range(count)
    ]


def test_header_safe_removes_line_breaks_and_control_characters():
    assert notify.header_safe("a\r\nBcc: x@y\tz\x00\x1b[1m\u2028end\x85 ") == (
        "a Bcc: x@y z [1m end"
    )
    assert notify.header_safe("Due soon — P-1 “CoA”") == "Due soon — P-1 “CoA”"


def test_a_title_with_a_line_break_cannot_silence_an_escalation(
    manager_client, project, sponsor, manager
):
    opened = timezone.now() - timedelta(minutes=30)
    executive_policy(sponsor, effective_from=opened - timedelta(days=1))
    first, second = executives(sponsor)
    page = reverse("project_detail", args=[sponsor.slug, project.pk])
    response = manager_client.post(
        page, form_data(subject=CRAFTED_TITLE, open_request="on"), **HTMX
    )
    assert response.status_code == 200 and "has-error" not in response.content.decode()
    request = Request.objects.get()
    assert "\n" in request.title  # the crafted title got through the form as typed

    summary = sweep.run(opened + timedelta(hours=4))

    escalated = Notification.objects.filter(notice__kind="escalation")
    assert sorted(escalated.values_list("user_id", flat=True)) == [first.pk, second.pk]
    assert summary["emails"] == len(mail.outbox) == 3  # the owner's breach, two escalations
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [manager.email, first.email, second.email]
    )
    for message in mail.outbox:
        sent = email.message_from_string(message.message().as_string())
        assert "\r" not in message.subject and "\n" not in message.subject
        assert "Bcc" not in sent and message.bcc == []
        assert sent["To"] == message.to[0]
        assert set(sent.keys()) == {"Content-Type", "MIME-Version", *HEADERS}
        assert "Send the CoA Bcc: attacker@evil.example forged body" in message.subject
    assert not Notice.objects.filter(sent_at=None, claimed_at__isnull=False).exists()
    assert set(EmailDelivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}


def test_one_message_that_cannot_be_built_does_not_stop_the_others(project, sponsor, manager):
    executive_policy(sponsor, effective_from=START - timedelta(days=1))
    broken, fine = executives(sponsor)
    type(broken).objects.filter(pk=broken.pk).update(email="x@example.com\nBcc: y@evil.example")
    ask(project, manager, START)

    sweep.run(START + timedelta(hours=4))

    assert sorted(m.to[0] for m in mail.outbox) == sorted([manager.email, fine.email])
    failed = EmailDelivery.objects.get(notification__user=broken)
    assert failed.state == DeliveryState.FAILED and failed.attempts == 1
    assert "BadHeaderError" in failed.last_error or "newline" in failed.last_error
    assert Notification.objects.filter(user=broken, notice__kind="escalation").exists()
    sweep.run(START + timedelta(hours=5))  # given up on: never tried again
    assert EmailDelivery.objects.get(pk=failed.pk).attempts == 1


def test_a_refused_connection_is_retried_with_backoff_then_given_up(project, manager, policy):
    """Nothing listens on the port: each try is recorded, 1, 2, 4 … minutes apart, and a day
    after the notice the e-mail is given up on (the alert stays in the app)."""
    ask(project, manager, START)
    breached = START + timedelta(hours=2, minutes=1)
    refusing = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": free_port(),
        "EMAIL_TIMEOUT": 2,
    }
    with override_settings(**refusing):
        sweep.run(breached)
        delivery = EmailDelivery.objects.get()  # the first-response breach, to the owner
        assert Notification.objects.filter(user=manager).count() == 1  # shown in the app
        tries = []
        moment = breached
        while delivery.state == DeliveryState.PENDING and moment < START + timedelta(days=2):
            tries.append((delivery.attempts, delivery.next_attempt_at - moment))
            moment = delivery.next_attempt_at
            notify.send_due_emails(moment - timedelta(seconds=1))  # too early: not tried
            assert EmailDelivery.objects.get(pk=delivery.pk).attempts == delivery.attempts
            notify.send_due_emails(moment)
            delivery = EmailDelivery.objects.get(pk=delivery.pk)
    assert tries[:4] == [(n, timedelta(minutes=2 ** (n - 1))) for n in (1, 2, 3, 4)]
    assert max(delay for _, delay in tries) == timedelta(hours=1)
    assert delivery.state == DeliveryState.FAILED and "Connection refused" in delivery.last_error
    assert delivery.next_attempt_at - delivery.created_at >= notify.GIVE_UP_AFTER
    assert mail.outbox == [] and delivery.sent_at is None


def test_a_notice_claimed_by_a_killed_worker_is_delivered_once_its_claim_expires(
    project, manager, policy
):
    """The state older code left behind: the notice claimed, nothing sent, nothing shown."""
    request = ask(project, manager, START)
    breached = START + timedelta(hours=2, minutes=1)
    recompute.recompute(request.pk, breached)
    stranded = Notice.objects.filter(request=request, kind="breach", clock_kind="first_response")
    assert stranded.update(claimed_at=breached) == 1

    sweep.run(breached + notify.claim_expiry() - timedelta(minutes=1))
    assert not Notification.objects.filter(notice__in=stranded).exists()  # the claim may be alive

    sweep.run(breached + notify.claim_expiry() + timedelta(minutes=1))
    sweep.run(breached + notify.claim_expiry() + timedelta(minutes=2))
    assert Notification.objects.filter(user=manager, notice__in=stranded).count() == 1
    assert [m.to for m in mail.outbox if "Breached" in m.subject] == [[manager.email]]


def test_an_email_claimed_by_a_killed_worker_is_sent_once_its_claim_expires(
    project, manager, policy
):
    request = ask(project, manager, START)
    breached = START + timedelta(hours=2, minutes=1)
    notices_handled(request, breached)  # the worker "dies" before sending
    delivery = EmailDelivery.objects.get()
    EmailDelivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.SENDING, claimed_at=breached, attempts=1
    )

    assert notify.send_due_emails(breached + notify.claim_expiry()) == 0  # not yet expired
    assert notify.send_due_emails(breached + notify.claim_expiry() + timedelta(minutes=1)) == 1
    assert notify.send_due_emails(breached + timedelta(days=1)) == 0
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.SENT, 2)
    assert len(mail.outbox) == 1
    assert Notification.objects.get().email_sent_at == delivery.sent_at


def test_two_sweeps_at_once_send_each_email_once(project, manager, policy):
    request = ask(project, manager, START)
    breached = clock.truncate(START + timedelta(hours=3))
    notices_handled(request, breached)
    assert notify.send_due_emails(breached) + notify.send_due_emails(breached) == 1
    assert len(mail.outbox) == 1


def test_the_smtp_timeout_is_well_inside_the_task_time_limits():
    assert 0 < 2 * settings.EMAIL_TIMEOUT < settings.CELERY_TASK_SOFT_TIME_LIMIT
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    assert notify.claim_expiry() > timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
