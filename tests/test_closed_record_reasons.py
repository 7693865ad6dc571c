"""Deleting a record, or changing a closed one, needs a reason; the trail keeps it."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from engagements import services
from engagements.models import Communication, Request, RequestEvent

from .test_communication_edit import edit_url
from .test_communication_log import form_data, local_input


@pytest.fixture
def closed_thread(communication, open_request, manager):
    """A communication attached only to a request that has since been resolved."""
    communication.requests.add(open_request)
    services.request_close(request=open_request, by=manager, kind=RequestEvent.Kind.RESOLVED)
    communication.refresh_from_db()
    return communication


def _edit(communication, **overrides):
    return form_data(
        occurred_at=local_input(communication.occurred_at),
        requests=[r.pk for r in communication.requests.all()],
        **overrides,
    )


def test_it_asks_for_a_reason_to_edit_a_communication_of_closed_requests(
    manager_client, closed_thread
):
    response = manager_client.post(edit_url(closed_thread), _edit(closed_thread, subject="New"))
    assert response.status_code == 200
    assert "Reason for the change" in response.content.decode()
    closed_thread.refresh_from_db()
    assert closed_thread.subject != "New"
    response = manager_client.post(
        edit_url(closed_thread), _edit(closed_thread, subject="New", reason="Typo in lot number")
    )
    assert response.status_code == 302
    latest = closed_thread.history.order_by("-history_id").first()
    assert (latest.subject, latest.history_change_reason) == ("New", "Typo in lot number")


def test_it_edits_a_communication_of_open_requests_without_a_reason(
    manager_client, communication, open_request
):
    communication.requests.add(open_request)
    response = manager_client.post(edit_url(communication), _edit(communication, subject="New"))
    assert response.status_code == 302


def test_the_service_refuses_a_closed_edit_or_a_delete_without_a_reason(closed_thread, manager):
    with pytest.raises(ValidationError):
        services.communication_update(communication=closed_thread, by=manager, subject="x")
    with pytest.raises(ValidationError):
        services.communication_delete(communication=closed_thread, by=manager, reason="  ")
    assert Communication.objects.filter(pk=closed_thread.pk, subject__startswith="Message").exists()


def test_it_asks_for_a_reason_to_reopen_and_keeps_it(manager_client, closed_thread, sponsor):
    request = closed_thread.requests.get()
    url = reverse("request_action", args=[sponsor.slug, request.pk, "reopen"])
    manager_client.post(url, {"note": ""})
    request.refresh_from_db()
    assert request.status == Request.Status.RESOLVED
    manager_client.post(url, {"note": "CDMO found a second deviation"})
    request.refresh_from_db()
    assert request.status == Request.Status.OPEN
    latest = request.history.order_by("-history_id").first()
    assert latest.history_change_reason == "CDMO found a second deviation"


def test_it_asks_for_a_reason_to_reclassify_a_closed_request(closed_thread, manager):
    request = closed_thread.requests.get()
    with pytest.raises(ValidationError):
        services.request_reclassify(
            request=request, by=manager, category="quality", priority="high"
        )
    services.request_reclassify(
        request=request, by=manager, category="quality", priority="high", note="Was a deviation"
    )
    latest = request.history.order_by("-history_id").first()
    assert (latest.category, latest.history_change_reason) == ("quality", "Was a deviation")
