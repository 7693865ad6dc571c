"""Logging a communication from the project page: HTMX and plain POST, validation, requests."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from engagements.models import Communication, Request
from scorecards.models import ProjectActivity

from .factories import RequestFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def local_input(moment):
    """The value a datetime-local input sends, in the manager's zone (Europe/Berlin)."""
    return timezone.localtime(moment, timezone=_berlin()).strftime("%Y-%m-%dT%H:%M")


def _berlin():
    import zoneinfo

    return zoneinfo.ZoneInfo("Europe/Berlin")


def form_data(**overrides):
    data = {
        "channel": "email",
        "direction": "outbound",
        "occurred_at": local_input(timezone.now() - timedelta(minutes=30)),
        "subject": "Please send the CoA for lot 42",
        "summary": "Needed for the QP release.",
    }
    data.update(overrides)
    return data


def url(project):
    return reverse("project_detail", args=[project.sponsor.slug, project.pk])


def test_it_logs_through_htmx_and_answers_a_fresh_form_with_a_refresh_event(
    manager_client, project, contact
):
    response = manager_client.post(url(project), form_data(participants=[contact.pk]), **HTMX)
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"communication-logged": {}}
    assert "Vary" in response and "HX-Request" in response["Vary"]
    body = response.content.decode()
    assert 'id="log-form"' in body and "<html" not in body
    assert "Logged “Please send the CoA for lot 42”" in body
    communication = Communication.objects.get()
    assert communication.sponsor_id == project.sponsor_id
    assert communication.logged_by.username == "manager"
    assert list(communication.participants.all()) == [contact]
    assert communication.occurred_at.second == 0


def test_it_stores_the_time_typed_in_the_users_zone_as_utc(manager_client, project):
    manager_client.post(url(project), form_data(occurred_at="2026-01-15T09:30"), **HTMX)
    stored = Communication.objects.get().occurred_at
    assert stored == datetime(2026, 1, 15, 8, 30, tzinfo=UTC)


def test_it_shows_the_new_entry_in_the_timeline_partial(manager_client, project):
    manager_client.post(url(project), form_data(subject="Shipment of samples"), **HTMX)
    response = manager_client.get(url(project), **HTMX)
    body = response.content.decode()
    assert 'id="timeline"' in body and "Shipment of samples" in body
    assert "<html" not in body


def test_it_redirects_a_plain_post_back_to_the_project(manager_client, project):
    response = manager_client.post(url(project), form_data())
    assert response.status_code == 302 and response["Location"] == url(project)
    assert Communication.objects.count() == 1


def test_it_marks_activity_stale_and_recomputes_it_after_commit(
    manager_client, project, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(url(project), form_data(), **HTMX)
    activity = ProjectActivity.objects.get(project=project)
    assert not activity.is_stale
    assert activity.communication_count == 1
    assert activity.last_contact_at == Communication.objects.get().occurred_at


def test_it_opens_a_request_from_an_outbound_ask(manager_client, project):
    manager_client.post(
        url(project),
        form_data(open_request="on", request_category="document_request", request_priority="high"),
        **HTMX,
    )
    request = Request.objects.get()
    communication = Communication.objects.get()
    assert request.title == communication.subject
    assert request.opened_at == communication.occurred_at
    assert (request.category, request.priority, request.status) == (
        "document_request",
        "high",
        "open",
    )
    assert list(communication.requests.all()) == [request]
    assert communication.needs_response


def test_it_opens_a_request_the_cdmo_raised_from_an_inbound(manager_client, project):
    manager_client.post(url(project), form_data(direction="inbound", open_request="on"), **HTMX)
    request = Request.objects.get()
    assert request.raised_by_cdmo
    assert not Communication.objects.get().needs_response


def test_it_attaches_an_inbound_answer_to_an_open_request(manager_client, project, open_request):
    manager_client.post(
        url(project), form_data(direction="inbound", requests=[open_request.pk]), **HTMX
    )
    assert list(open_request.communications.all()) == [Communication.objects.get()]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"subject": ""}, "subject", "This field is required."),
        ({"subject": "x" * 501}, "subject", "at most 500 characters"),
        ({"summary": "y" * 20001}, "summary", "at most 20000 characters"),
        ({"occurred_at": "2030-01-01T10:00"}, "occurred_at", "is in the future"),
        ({"occurred_at": "yesterday"}, "occurred_at", "Enter a valid date/time."),
        (
            {"occurred_at": "2026-03-29T02:30"},
            "occurred_at",
            "may be ambiguous or it may not exist",
        ),
        ({"direction": "sideways"}, "direction", "Select a valid choice."),
        ({"channel": "pigeon"}, "channel", "Select a valid choice."),
        ({"direction": "inbound", "needs_response": "on"}, "needs_response", "Only a message"),
        ({"participants": ["999999"]}, "participants", "Select a valid choice."),
        ({"requests": ["abc"]}, "requests", "is not a valid value"),
    ],
)
def test_it_answers_bad_input_inline_and_writes_nothing(
    manager_client, project, overrides, field, message
):
    response = manager_client.post(url(project), form_data(**overrides), **HTMX)
    assert response.status_code == 200  # htmx 2 swaps only 2xx answers
    body = response.content.decode()
    assert f'id="field-id_{field}"' in body
    assert "has-error" in body and message in body
    assert "HX-Trigger" not in response
    assert not Communication.objects.exists() and not Request.objects.exists()


def test_it_keeps_what_was_typed_when_the_form_has_errors(manager_client, project):
    response = manager_client.post(
        url(project), form_data(subject="", summary="Typed before the error"), **HTMX
    )
    assert "Typed before the error" in response.content.decode()


def test_it_refuses_a_response_dated_before_the_request_opened(manager_client, project):
    request = RequestFactory(project=project, opened_at=timezone.now() - timedelta(hours=1))
    response = manager_client.post(
        url(project),
        form_data(
            direction="inbound",
            requests=[request.pk],
            occurred_at=local_input(timezone.now() - timedelta(hours=3)),
        ),
        **HTMX,
    )
    assert "was opened after this interaction" in response.content.decode()
    assert not Communication.objects.exists()


def test_it_refuses_another_sponsors_contact_or_request(manager_client, project, outsider_world):
    for field, value in [
        ("participants", outsider_world["contact"].pk),
        ("requests", outsider_world["request"].pk),
    ]:
        response = manager_client.post(url(project), form_data(**{field: [value]}), **HTMX)
        assert "Select a valid choice" in response.content.decode()
    assert not Communication.objects.filter(project=project).exists()


def test_it_refuses_a_post_without_csrf_token(project, manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    response = client.post(url(project), form_data(), **HTMX)
    assert response.status_code == 403
    assert not Communication.objects.exists()


def test_it_accepts_the_csrf_token_in_the_htmx_header(project, manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    page = client.get(url(project))
    token = page.cookies["csrftoken"].value
    response = client.post(url(project), form_data(), HTTP_X_CSRFTOKEN=token, **HTMX)
    assert response.status_code == 200
    assert Communication.objects.count() == 1


def test_it_shows_errors_on_the_full_page_without_javascript(manager_client, project):
    response = manager_client.post(url(project), form_data(subject=""))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" in body and "This field is required." in body
    assert not Communication.objects.exists()
