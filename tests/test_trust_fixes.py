"""Issue 17's trust problems a new user hit first, each a test that failed before its fix."""

from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from engagements import services
from engagements.models import Communication, Pause, Request

from .factories import RequestFactory
from .test_communication_log import form_data, local_input

HTMX = {"HTTP_HX_REQUEST": "true"}


def project_url(project):
    return reverse("project_detail", args=[project.sponsor.slug, project.pk])


def open_ask(project, manager, hours_ago):
    return services.request_open(
        project=project,
        by=manager,
        title="Send the CoA for lot 42",
        opened_at=timezone.now().replace(second=0, microsecond=0) - timedelta(hours=hours_ago),
        category="document_request",
        priority="normal",
    )


def test_it_shows_a_time_rule_of_the_service_on_the_form_instead_of_a_500(
    manager_client, project, manager
):
    """Pause, change the category, then log an answer ending the pause dated between the two."""
    ask = open_ask(project, manager, hours_ago=5)
    services.request_pause(
        request=ask,
        by=manager,
        reason_category="documents",
        reason="Our batch record",
        at=timezone.now() - timedelta(hours=4),
    )
    services.request_reclassify(request=ask, by=manager, category="quality", priority="high")
    between = timezone.now() - timedelta(hours=2)
    before = (Communication.objects.count(), Pause.objects.filter(ended_at__isnull=True).count())
    response = manager_client.post(
        project_url(project),
        form_data(resume=[ask.pk], occurred_at=local_input(between)),
        **HTMX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "cannot be before the request" in body and ask.title in body
    after = (Communication.objects.count(), Pause.objects.filter(ended_at__isnull=True).count())
    assert after == before  # nothing written: no communication, the pause still open


def test_it_shows_the_service_error_on_the_edit_form_too(manager_client, project, manager):
    ask = open_ask(project, manager, hours_ago=2)
    communication = services.communication_log(
        project=project,
        by=manager,
        channel="email",
        direction="inbound",
        occurred_at=timezone.now() - timedelta(hours=1),
        subject="CoA attached",
        attach_to=[ask],
    )
    url = reverse("communication_edit", args=[project.sponsor.slug, communication.pk])
    data = form_data(
        direction="inbound",
        occurred_at=local_input(timezone.now() - timedelta(hours=3)),
        requests=[ask.pk],
    )
    response = manager_client.post(url, data)
    assert response.status_code == 200
    assert "was opened after this interaction" in response.content.decode()
    communication.refresh_from_db()
    assert communication.occurred_at > ask.opened_at


def test_it_refreshes_the_open_requests_card_after_logging(manager_client, project, manager):
    page = manager_client.get(project_url(project)).content.decode()
    assert 'id="project-open-requests"' in page
    assert (
        'hx-trigger="communication-logged from:body"'
        in page.split('id="project-open-requests"')[1][:300]
    )
    manager_client.post(
        project_url(project), form_data(open_request="on", subject="Quote for PPQ"), **HTMX
    )
    card = manager_client.get(
        project_url(project), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="project-open-requests"
    )
    body = card.content.decode()
    assert "Quote for PPQ" in body and "<html" not in body and 'id="timeline"' not in body


def test_it_logs_the_answer_from_the_request_page_attached_to_the_request(
    manager_client, project, manager
):
    ask = open_ask(project, manager, hours_ago=3)
    page = manager_client.get(reverse("request_detail", args=[project.sponsor.slug, ask.pk]))
    body = page.content.decode()
    log_url = reverse("request_action", args=[project.sponsor.slug, ask.pk, "log"])
    assert f'hx-post="{log_url}"' in body and 'id="log-form"' in body
    response = manager_client.post(
        log_url,
        form_data(direction="inbound", subject="Here is the CoA", requests=[ask.pk]),
        **HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("request_detail", args=[project.sponsor.slug, ask.pk])
    answer = Communication.objects.get(subject="Here is the CoA")
    assert list(answer.requests.all()) == [ask]
    assert answer.direction == "inbound"


def test_it_logs_an_untouched_when_at_the_moment_of_submission(manager_client, project):
    start = timezone.now().replace(second=0, microsecond=0)
    with time_machine.travel(start, tick=False):
        page = manager_client.get(project_url(project)).content.decode()
    field = page.split('name="occurred_at"')[1].split(">")[0]
    assert "value=" not in field  # not the time the page was loaded
    # 20 minutes later: within the idle timeout of the session (30 minutes)
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        manager_client.post(project_url(project), form_data(occurred_at=""), **HTMX)
    assert Communication.objects.get().occurred_at == start + timedelta(minutes=20)


def test_it_keeps_an_over_long_subject_and_says_so(manager_client, project):
    page = manager_client.get(project_url(project)).content.decode()
    subject_input = page.split('name="subject"')[1].split(">")[0]
    assert "maxlength" not in subject_input  # the browser would cut pasted text silently
    typed = "Deviation DR-2026-114 " * 30  # 660 characters
    response = manager_client.post(project_url(project), form_data(subject=typed), **HTMX)
    body = response.content.decode()
    assert "at most 500 characters" in body and typed.strip() in body
    assert not Communication.objects.exists()
    long_subject = ("Deviation DR-2026-114 " * 20).strip()  # 439 characters: kept whole
    manager_client.post(project_url(project), form_data(subject=long_subject), **HTMX)
    assert Communication.objects.get().subject == long_subject


def test_it_pages_open_requests_and_shows_the_total(manager_client, project):
    RequestFactory.create_batch(60, project=project)
    url = reverse("request_list", args=[project.sponsor.slug])
    first = manager_client.get(url)
    assert len(first.context["requests"]) == 50
    body = first.content.decode()
    assert "Showing 1–50 of <strong>60</strong>" in body and "page=2" in body
    second = manager_client.get(url, {"page": 2, "state": ""})
    assert len(second.context["requests"]) == 10
    assert Request.objects.count() == 60


def _clock(request, state, due_at):
    from scorecards.models import Clock

    return Clock.objects.create(
        sponsor_id=request.sponsor_id,
        request=request,
        kind="first_response",
        started_at=request.opened_at,
        target_minutes=60,
        due_at=due_at,
        state=state,
    )


def test_alerts_show_what_is_breached_and_due_now_with_the_open_requests_counts(
    manager_client, project
):
    now = timezone.now()
    for _ in range(3):
        _clock(RequestFactory(project=project), "breached", now - timedelta(hours=2))
    _clock(RequestFactory(project=project), "running", now + timedelta(hours=3))
    _clock(RequestFactory(project=project), "running", now + timedelta(days=5))
    sponsor = project.sponsor
    alerts = manager_client.get(reverse("notifications", args=[sponsor.slug]))
    assert alerts.context["breached_count"] == 3
    assert alerts.context["due_soon_count"] == 1
    body = alerts.content.decode()
    assert "no clock of your projects is due soon or breached" not in body
    listed = manager_client.get(
        reverse("request_list", args=[sponsor.slug]), {"state": "breached", "mine": "1"}
    )
    assert listed.context["page"].paginator.count == alerts.context["breached_count"]
    due = manager_client.get(
        reverse("request_list", args=[sponsor.slug]),
        {"state": "due_soon", "hours": "24", "mine": "1"},
    )
    assert due.context["page"].paginator.count == 1
