"""SLA clocks stored per request: opening, recompute, sweep, breaches, notices and e-mails."""

from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from engagements import services
from engagements.models import (
    CalendarKind,
    PolicyTarget,
    PolicyVersion,
    Request,
    RequestEvent,
    Role,
    SLAPolicy,
)
from scorecards import recompute, sweep
from scorecards.models import Breach, Clock, Notice, Notification

from .factories import MembershipFactory, UserFactory

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def make_policy(
    sponsor, *, effective_from, first=120, kind=CalendarKind.ALWAYS, number=1, policy=None
):
    policy = policy or SLAPolicy.objects.create(sponsor=sponsor, name="Standard", is_default=True)
    version = PolicyVersion.objects.create(
        sponsor=sponsor,
        policy=policy,
        number=number,
        effective_from=effective_from,
        calendar_kind=kind,
        warning_lead_minutes=30,
        escalation_steps=[
            {"after_minutes": 60, "role": "owner"},
            {"after_minutes": 120, "role": "admin"},
        ],
    )
    PolicyTarget.objects.create(
        sponsor=sponsor,
        version=version,
        category="question",
        priority="normal",
        first_response_minutes=first,
        next_response_minutes=60,
        update_interval_minutes=240,
        resolution_minutes=960,
    )
    return version


@pytest.fixture
def policy(sponsor):
    return make_policy(sponsor, effective_from=START - timedelta(days=30))


def ask(
    project,
    manager,
    moment,
    subject="Please send the CoA",
    *,
    category="question",
    priority="normal",
):
    """Log an outbound ask that opens a request, as of `moment`."""
    with time_machine.travel(moment, tick=False):
        communication = services.communication_log(
            project=project,
            by=manager,
            channel="email",
            direction="outbound",
            occurred_at=moment,
            subject=subject,
            needs_response=True,
            open_request=True,
            request_category=category,
            request_priority=priority,
        )
    return communication.requests.get()


def answer(project, manager, moment, request, logged_at=None):
    with time_machine.travel(logged_at or moment, tick=False):
        return services.communication_log(
            project=project,
            by=manager,
            channel="call",
            direction="inbound",
            occurred_at=moment,
            subject="Answer",
            attach_to=[request],
        )


def first_response(request):
    return Clock.objects.get(request=request, kind="first_response")


def test_a_request_keeps_the_policy_version_in_force_when_it_opened(
    project, manager, policy, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        old = ask(project, manager, START)
    make_policy(
        project.sponsor,
        effective_from=START + timedelta(days=1),
        first=30,
        number=2,
        policy=policy.policy,
    )
    with django_capture_on_commit_callbacks(execute=True):
        new = ask(project, manager, START + timedelta(days=2), subject="Later ask")
    assert old.policy_version == policy
    assert new.policy_version.number == 2
    recompute.recompute(old.pk, START + timedelta(days=3))
    assert first_response(old).target_minutes == 120  # editing the policy moved nothing


def test_edge_11_a_request_keeps_the_site_calendar_it_opened_with(project, manager, sponsor):
    make_policy(sponsor, effective_from=START - timedelta(days=1), kind=CalendarKind.SITE)
    request = ask(project, manager, START)
    assert request.calendar_snapshot["time_zone"] == "Europe/Zurich"
    assert request.calendar_snapshot["country"] == "CH"
    project.site.time_zone = "Asia/Tokyo"
    project.site.save()
    request.refresh_from_db()
    assert request.calendar_snapshot["time_zone"] == "Europe/Zurich"


def test_breach_is_recorded_at_due_time_not_at_sweep_time(project, manager, policy):
    request = ask(project, manager, START)
    sweep.run(START + timedelta(hours=5))
    breach = Breach.objects.get(request=request)
    assert breach.breached_at == START + timedelta(hours=2)
    assert breach.clock_kind == "first_response"


def test_sweeping_twice_gives_one_breach_one_notification_one_email(
    project, manager, policy, sponsor
):
    request = ask(project, manager, START)
    later = START + timedelta(minutes=150)
    with time_machine.travel(later, tick=False):
        sweep.run(later)
        sweep.run(later)
    assert Breach.objects.filter(request=request).count() == 1
    breach_notices = Notification.objects.filter(notice__kind="breach")
    assert breach_notices.count() == 1
    assert breach_notices.get().user == manager
    breach_mails = [m for m in mail.outbox if "Breached" in m.subject]
    assert len(breach_mails) == 1
    message = breach_mails[0]
    assert message.to == [manager.email]
    assert "Breached: first response" in message.subject and project.code in message.subject
    link = f"/s/{sponsor.slug}/requests/{request.pk}/"
    assert link in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and link in html and "Open the request" in html
    assert "<" not in message.body  # the text part is written, not stripped HTML


def test_alert_emails_show_times_in_the_recipients_zone_and_link_to_the_site_url(
    project, manager, policy, sponsor, settings
):
    settings.SITE_URL = "https://portal.example.com"
    ask(project, manager, START)
    later = START + timedelta(minutes=150)
    with time_machine.travel(later, tick=False):
        sweep.run(later)
    (message,) = [m for m in mail.outbox if "Breached" in m.subject]
    html = message.alternatives[0][0]
    due = Breach.objects.get().breached_at.astimezone(ZoneInfo(manager.time_zone))
    shown = due.strftime("%H:%M")
    assert f"{shown} CET" in message.body and f"{shown} CET" in html  # Europe/Berlin in March
    assert " UTC" not in message.body
    assert "https://portal.example.com/s/" in message.body and ":8000" not in message.body


def test_the_warning_goes_to_the_owner_once_before_due(project, manager, policy):
    request = ask(project, manager, START)
    warned = START + timedelta(minutes=95)
    for _ in range(2):
        sweep.run(warned)
    (warning,) = Notification.objects.filter(notice__kind="warning")
    assert warning.user == manager and warning.request == request
    assert "Due soon" in warning.subject


def test_escalation_steps_fire_once_each_to_their_roles(project, manager, policy, sponsor):
    lead = MembershipFactory(sponsor=sponsor, role=Role.ADMIN, user=UserFactory()).user
    request = ask(project, manager, START)
    for minutes in (190, 250, 250, 400):
        sweep.run(START + timedelta(minutes=minutes))
    steps = Notice.objects.filter(
        request=request, kind="escalation", clock_kind="first_response"
    ).order_by("step")
    assert [(n.step, n.role, n.fire_at) for n in steps] == [
        (1, "owner", START + timedelta(hours=3)),
        (2, "admin", START + timedelta(hours=4)),
    ]
    assert Notification.objects.filter(notice__kind="escalation", user=lead).count() == 1
    assert Notification.objects.filter(notice__kind="escalation", user=manager).count() == 1


def test_no_escalation_once_the_clock_stopped_before_its_step(project, manager, policy):
    request = ask(project, manager, START)
    answer(project, manager, START + timedelta(minutes=170), request)
    sweep.run(START + timedelta(hours=6))
    notices = Notice.objects.filter(request=request, clock_kind="first_response")
    kinds = set(notices.values_list("kind", "step"))
    assert ("escalation", 1) not in kinds and ("breach", 0) in kinds


def test_a_late_answer_reports_how_late_and_keeps_the_breach(project, manager, policy):
    request = ask(project, manager, START)
    sweep.run(START + timedelta(hours=3))
    answer(project, manager, START + timedelta(hours=5), request)
    recompute.recompute(request.pk, START + timedelta(hours=6))
    clock = first_response(request)
    assert (clock.state, clock.late_minutes, clock.used_minutes) == ("breached", 180, 300)
    assert Breach.objects.get(request=request).withdrawn_at is None


def test_edge_2_a_backdated_answer_withdraws_the_breach_and_keeps_it(project, manager, policy):
    request = ask(project, manager, START)
    sweep.run(START + timedelta(hours=3))
    assert Breach.objects.get(request=request).withdrawn_at is None
    answer(
        project,
        manager,
        START + timedelta(minutes=90),
        request,
        logged_at=START + timedelta(hours=4),
    )
    recompute.recompute(request.pk, START + timedelta(hours=4))
    breach = Breach.objects.get(request=request)
    assert breach.withdrawn_at is not None and "No longer breached" in breach.withdrawn_reason
    assert first_response(request).state == "met"
    assert Notification.objects.filter(notice__kind="breach").count() == 1  # not recalled


def test_pausing_requires_a_reason_and_stops_the_clocks(project, manager, policy):
    request = ask(project, manager, START)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.request_pause(
            request=request, by=manager, reason_category="documents", reason="  "
        )
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        services.request_pause(
            request=request, by=manager, reason_category="documents", reason="Our batch record"
        )
    result = recompute.recompute(request.pk, START + timedelta(hours=5))
    clock = first_response(request)
    assert (clock.state, clock.due_at) == ("paused", None)
    (replayed,) = [c for c in result.clocks if c.kind == "first_response"]
    assert replayed.used_minutes == 60  # stored rows leave live minutes to the page
    with time_machine.travel(START + timedelta(hours=6), tick=False):
        services.request_resume(request=request, by=manager)
    result = recompute.recompute(request.pk, START + timedelta(hours=6))
    assert first_response(request).due_at == START + timedelta(hours=7)
    assert result.sponsor_wait_minutes == 300


def test_a_pause_cannot_end_before_it_started(project, manager, policy):
    from django.core.exceptions import ValidationError

    request = ask(project, manager, START)
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        services.request_pause(request=request, by=manager, reason_category="other", reason="x")
        with pytest.raises(ValidationError):
            services.request_resume(request=request, by=manager, at=START + timedelta(hours=1))
    request.refresh_from_db()
    assert request.status == "waiting_on_sponsor"
    assert request.pauses.get().ended_at is None


def test_resolve_reopen_and_reclassify_are_recorded_as_events(project, manager, policy):
    from django.core.exceptions import ValidationError

    request = ask(project, manager, START)
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        services.request_reclassify(
            request=request, by=manager, category="quality", priority="high"
        )
        with pytest.raises(ValidationError):
            services.request_reopen(request=request, by=manager)
        services.request_close(request=request, by=manager, kind=RequestEvent.Kind.RESOLVED)
        services.request_reopen(request=request, by=manager, note="Not fixed")
    kinds = list(request.events.values_list("kind", flat=True))
    assert kinds == ["reclassified", "resolved", "reopened"]
    recompute.recompute(request.pk, START + timedelta(hours=2))
    assert Clock.objects.filter(request=request, kind="resolution").count() == 2


def pause_at(request, manager, moment):
    with time_machine.travel(moment, tick=False):
        services.request_pause(request=request, by=manager, reason_category="other", reason="x")


def test_edge_14_a_pause_after_the_answer_keeps_the_stored_due_time(project, manager, policy):
    request = ask(project, manager, START)
    answer(project, manager, START + timedelta(minutes=30), request)
    pause_at(request, manager, START + timedelta(hours=1))
    recompute.recompute(request.pk, START + timedelta(hours=3))
    clock = first_response(request)
    assert (clock.state, clock.due_at) == ("met", START + timedelta(hours=2))


def test_edge_15_resolve_reopen_resolve_in_one_minute_stores_the_first_resolves_clocks(
    project, manager, policy
):
    request = ask(project, manager, START)
    answer(project, manager, START + timedelta(minutes=30), request)
    with time_machine.travel(START + timedelta(hours=2, seconds=10), tick=False):
        services.request_close(request=request, by=manager, kind=RequestEvent.Kind.RESOLVED)
        services.request_reopen(request=request, by=manager, note="Wrong button")
        services.request_close(request=request, by=manager, kind=RequestEvent.Kind.RESOLVED)
    recompute.recompute(request.pk, START + timedelta(hours=3))
    stored = Clock.objects.filter(request=request).exclude(kind="first_response")
    assert sorted(stored.values_list("kind", "started_at", "stopped_at", "state")) == [
        ("resolution", START, START + timedelta(hours=2), "met"),
        ("update", START + timedelta(minutes=30), START + timedelta(hours=2), "void"),
    ]


def _as_stored_before_edges_14_and_15(project, manager):
    """Two requests whose rows an earlier rule left behind, and one the new rules keep."""
    paused = ask(project, manager, START, subject="Paused after the answer")
    answer(project, manager, START + timedelta(minutes=30), paused)
    pause_at(paused, manager, START + timedelta(hours=1))
    closed = ask(project, manager, START, subject="Answered and resolved in one minute")
    answer(project, manager, START + timedelta(hours=1), closed)
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        services.request_close(request=closed, by=manager, kind=RequestEvent.Kind.RESOLVED)
    kept = ask(project, manager, START, subject="Answered")
    answer(project, manager, START + timedelta(minutes=45), kept)
    for request in (paused, closed, kept):
        recompute.recompute(request.pk, START + timedelta(hours=2))
    # What the replay stored before: a met clock's due time erased by the later open pause,
    # and a zero-length update gap from the minute of the resolve.
    Clock.objects.filter(request=paused, kind="first_response").update(due_at=None)
    Clock.objects.create(
        sponsor_id=closed.sponsor_id,
        request=closed,
        kind="update",
        started_at=START + timedelta(hours=1),
        stopped_at=START + timedelta(hours=1),
        target_minutes=240,
        due_at=START + timedelta(hours=5),
        state="void",
    )
    Request.objects.filter(pk__in=[paused.pk, closed.pk]).update_computed(
        clocks_fingerprint="from the earlier rules"
    )
    return paused, closed, kept


def test_recompute_clocks_makes_stored_clocks_follow_the_rules(project, manager, policy):
    paused, closed, kept = _as_stored_before_edges_14_and_15(project, manager)
    out = StringIO()
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        call_command("recompute_clocks", "--batch", "2", stdout=out)
    assert (
        out.getvalue().strip() == "recompute_clocks: 3 requests, 2 clocks changed (on 2 requests)"
    )
    assert first_response(paused).due_at == START + timedelta(hours=2)
    assert not Clock.objects.filter(request=closed, kind="update").exists()
    assert Clock.objects.filter(request=kept).count() == 3  # first response, resolution, gap
    again = StringIO()
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        call_command("recompute_clocks", stdout=again)
    assert (
        again.getvalue().strip() == "recompute_clocks: 3 requests, 0 clocks changed (on 0 requests)"
    )


def test_recompute_clocks_refuses_a_batch_below_one(db):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("recompute_clocks", "--batch", "0")


def test_recompute_is_idempotent(project, manager, policy):
    request = ask(project, manager, START)
    answer(project, manager, START + timedelta(hours=5), request)
    moment = START + timedelta(hours=6)
    recompute.recompute(request.pk, moment)
    first = list(Clock.objects.filter(request=request).values_list("kind", "state", "due_at"))
    recompute.recompute(request.pk, moment)
    assert (
        list(Clock.objects.filter(request=request).values_list("kind", "state", "due_at")) == first
    )
    assert Breach.objects.count() == 1


def test_the_request_page_shows_every_clock(manager_client, project, manager, policy, sponsor):
    request = ask(project, manager, timezone.now() - timedelta(hours=3))
    recompute.recompute(request.pk)
    body = manager_client.get(reverse("request_detail", args=[sponsor.slug, request.pk])).content
    body = body.decode()
    assert "First response" in body and "Resolution" in body
    assert "breached" in body and "still open" in body
    assert "2 h" in body  # the target, in business time


def test_request_actions_through_the_page(manager_client, project, manager, policy, sponsor):
    request = ask(project, manager, timezone.now() - timedelta(hours=1))
    url = reverse("request_action", args=[sponsor.slug, request.pk, "pause"])
    response = manager_client.post(url, {"reason_category": "documents", "reason": ""}, follow=True)
    assert "This field is required" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "open"
    manager_client.post(url, {"reason_category": "documents", "reason": "Our CoA"})
    request.refresh_from_db()
    assert request.status == "waiting_on_sponsor"
    assert manager_client.get(url).status_code == 405
    future = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    resume = reverse("request_action", args=[sponsor.slug, request.pk, "resume"])
    response = manager_client.post(resume, {"at": future}, follow=True)
    assert "is in the future" in response.content.decode()
    manager_client.post(resume, {})
    request.refresh_from_db()
    assert request.status == "open"


def test_a_viewer_cannot_change_a_request(client, project, manager, viewer, policy, sponsor):
    request = ask(project, manager, timezone.now() - timedelta(hours=1))
    client.force_login(viewer)
    url = reverse("request_action", args=[sponsor.slug, request.pk, "resolve"])
    assert client.post(url, {}).status_code == 403
    request.refresh_from_db()
    assert request.status == "open"


def test_open_requests_filter_by_clock_state_overdue_first(
    manager_client, project, manager, policy, sponsor, django_capture_on_commit_callbacks
):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        overdue = ask(project, manager, now - timedelta(hours=5), subject="Overdue")
        soon = ask(project, manager, now - timedelta(minutes=100), subject="Due soon")
        later = ask(project, manager, now - timedelta(minutes=5), subject="Later")
    url = reverse("request_list", args=[sponsor.slug])
    rows = manager_client.get(url).context["requests"]
    assert [r.title for r in rows] == ["Overdue", "Due soon", "Later"]
    breached = manager_client.get(url + "?state=breached", HTTP_HX_REQUEST="true")
    assert [r.pk for r in breached.context["requests"]] == [overdue.pk]
    assert 'id="request-table"' in breached.content.decode()
    due = manager_client.get(url + "?state=due_soon&hours=1").context["requests"]
    assert [r.pk for r in due] == [soon.pk]
    assert later.pk not in [r.pk for r in due]


def test_open_requests_list_keeps_its_query_count(
    manager_client, project, manager, policy, sponsor, django_assert_max_num_queries
):
    url = reverse("request_list", args=[sponsor.slug])
    ask(project, manager, timezone.now() - timedelta(hours=1))
    # session, user, membership, the page of requests (one query), switcher, alerts count.
    with django_assert_max_num_queries(8) as few:
        manager_client.get(url)
    for n in range(10):
        ask(project, manager, timezone.now() - timedelta(hours=2 + n), subject=f"Ask {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        manager_client.get(url)


def test_edge_4_the_log_form_offers_to_end_the_pause_of_an_ask(
    manager_client, project, manager, policy, sponsor
):
    from .test_communication_log import form_data, local_input

    request = ask(project, manager, timezone.now() - timedelta(hours=3))
    services.request_pause(
        request=request,
        by=manager,
        reason_category="documents",
        reason="Our batch record",
        at=timezone.now() - timedelta(hours=2),
    )
    url = reverse("project_detail", args=[sponsor.slug, project.pk])
    page = manager_client.get(url).content.decode()
    assert "End the pause of" in page and request.title in page
    sent = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=30)
    too_early = manager_client.post(
        url,
        form_data(resume=[request.pk], occurred_at=local_input(sent - timedelta(hours=3))),
        HTTP_HX_REQUEST="true",
    )
    assert "was paused after this message was sent" in too_early.content.decode()
    manager_client.post(
        url,
        form_data(
            subject="Batch record attached", resume=[request.pk], occurred_at=local_input(sent)
        ),
        HTTP_HX_REQUEST="true",
    )
    request.refresh_from_db()
    assert request.status == "open"
    assert request.pauses.get().ended_at == sent
