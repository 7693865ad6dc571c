"""Issue 18, items 5, 6, 8 and 9: no double log, no lost update, no clock left behind by the
admin, no laxer SLA policy by the back door. Each failed before its fix."""

import re
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from engagements.models import Communication, Project, Request, SLAPolicy

from .factories import CommunicationFactory, RequestFactory, UserFactory
from .test_communication_log import form_data

HTMX = {"HTTP_HX_REQUEST": "true"}


def hidden(body, name):
    return re.search(rf'name="{name}" value="([^"]*)"', body).group(1)


def project_url(project):
    return reverse("project_detail", args=[project.sponsor.slug, project.pk])


@pytest.mark.django_db(transaction=True)
def test_it_logs_a_form_submitted_three_times_once(project, manager):
    """Two submissions at the same moment and a retry: one communication, one request."""
    browser = Client()
    browser.force_login(manager)
    page = browser.get(project_url(project)).content.decode()
    data = form_data(
        open_request="on", subject="Quote for PPQ", submission_key=hidden(page, "submission_key")
    )
    start = threading.Barrier(2)
    answers = []

    def submit():
        start.wait()
        try:
            answers.append(browser.post(project_url(project), data, **HTMX).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answers.append(browser.post(project_url(project), data, **HTMX).status_code)
    assert answers == [200, 200, 200]
    assert Communication.objects.filter(subject="Quote for PPQ").count() == 1
    assert Request.objects.filter(title="Quote for PPQ").count() == 1


def test_a_fresh_form_gets_a_fresh_key(manager_client, project):
    first = hidden(manager_client.get(project_url(project)).content.decode(), "submission_key")
    answer = manager_client.post(
        project_url(project), form_data(submission_key=first), **HTMX
    ).content.decode()
    assert hidden(answer, "submission_key") != first
    manager_client.post(
        project_url(project),
        form_data(subject="Another", submission_key=hidden(answer, "submission_key")),
        **HTMX,
    )
    assert Communication.objects.count() == 2


def test_the_second_editor_sees_what_changed_and_keeps_their_input(
    manager_client, project, manager
):
    communication = CommunicationFactory(project=project, subject="Kick-off call")
    url = reverse("communication_edit", args=[project.sponsor.slug, communication.pk])
    seen = hidden(manager_client.get(url).content.decode(), "seen_version")
    colleague = Client()
    colleague.force_login(manager)
    colleague_seen = hidden(colleague.get(url).content.decode(), "seen_version")
    colleague.post(url, form_data(subject="Kick-off call (minutes)", seen_version=colleague_seen))
    mine = form_data(subject="Kick-off: agreed timelines", seen_version=seen)
    response = manager_client.post(url, mine)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Someone saved this after you opened it" in body
    assert "Kick-off call (minutes)" in body  # what they changed
    assert 'value="Kick-off: agreed timelines"' in body  # my input, kept
    communication.refresh_from_db()
    assert communication.subject == "Kick-off call (minutes)"
    again = manager_client.post(url, {**mine, "seen_version": hidden(body, "seen_version")})
    assert again.status_code == 302
    communication.refresh_from_db()
    assert communication.subject == "Kick-off: agreed timelines"


def test_a_project_edit_is_not_lost_either(client, project, admin_user, manager):
    client.force_login(admin_user)
    url = reverse("project_edit", args=[project.sponsor.slug, project.pk])
    page = client.get(url).content.decode()
    data = {
        "name": "Renamed by admin",
        "code": project.code,
        "cdmo": project.cdmo_id,
        "service_type": project.service_type,
        "status": project.status,
        "owner": project.owner_id,
        "seen_version": hidden(page, "seen_version"),
    }
    Project.objects.filter(pk=project.pk).update(name="Renamed meanwhile")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Someone saved this after you opened it" in response.content.decode()
    project.refresh_from_db()
    assert project.name == "Renamed meanwhile"


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_an_admin_change_marks_the_requests_clocks_stale(staff_client, project):
    request = RequestFactory(project=project)
    answer = CommunicationFactory(project=project, direction="inbound")
    answer.requests.set([request])
    Request.objects.filter(pk=request.pk).update_computed(clocks_stale=False)
    url = reverse("admin:engagements_communication_change", args=[answer.pk])
    local = timezone.localtime(answer.occurred_at)
    response = staff_client.post(
        url,
        {
            "project": project.pk,
            "channel": answer.channel,
            "direction": "outbound",
            "occurred_at_0": local.strftime("%Y-%m-%d"),
            "occurred_at_1": local.strftime("%H:%M:%S"),
            "subject": answer.subject,
            "summary": "",
            "requests": [request.pk],
            "logged_by": answer.logged_by_id,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    request.refresh_from_db()
    assert request.clocks_stale


def test_an_admin_bulk_delete_marks_the_requests_clocks_stale(staff_client, project):
    request = RequestFactory(project=project)
    answers = CommunicationFactory.create_batch(2, project=project, direction="inbound")
    for answer in answers:
        answer.requests.set([request])
    Request.objects.filter(pk=request.pk).update_computed(clocks_stale=False)
    response = staff_client.post(
        reverse("admin:engagements_communication_changelist"),
        {"action": "delete_selected", "_selected_action": [a.pk for a in answers], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Communication.objects.exists()
    request.refresh_from_db()
    assert request.clocks_stale


def _project_post(project, **changes):
    return {
        "name": project.name,
        "code": project.code,
        "cdmo": project.cdmo_id,
        "service_type": project.service_type,
        "status": project.status,
        "owner": project.owner_id,
        **changes,
    }


def test_a_manager_cannot_move_a_project_to_other_sla_terms(manager_client, project):
    lax = SLAPolicy.objects.create(sponsor=project.sponsor, name="Lax")
    url = reverse("project_edit", args=[project.sponsor.slug, project.pk])
    manager_client.post(url, _project_post(project, sla_policy=lax.pk))
    project.refresh_from_db()
    assert project.sla_policy_id is None


def test_an_admin_moves_a_project_to_other_terms_only_with_a_reason(client, admin_user, project):
    client.force_login(admin_user)
    strict = SLAPolicy.objects.create(sponsor=project.sponsor, name="Strict")
    url = reverse("project_edit", args=[project.sponsor.slug, project.pk])
    refused = client.post(url, _project_post(project, sla_policy=strict.pk))
    assert "Say why this project moves to other SLA terms" in refused.content.decode()
    project.refresh_from_db()
    assert project.sla_policy_id is None
    client.post(
        url, _project_post(project, sla_policy=strict.pk, policy_reason="New quality agreement")
    )
    project.refresh_from_db()
    assert project.sla_policy == strict
    latest = project.history.latest("history_date")
    assert latest.history_change_reason == "SLA policy changed: New quality agreement"
