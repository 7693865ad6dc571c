"""Editing and deleting a logged communication, and the audit trail that keeps both."""

from django.urls import reverse

from engagements.models import Communication
from scorecards.models import ProjectActivity

from .factories import CommunicationFactory, minutes_ago
from .test_communication_log import form_data, local_input


def edit_url(communication):
    return reverse("communication_edit", args=[communication.sponsor.slug, communication.pk])


def delete_url(communication):
    return reverse("communication_delete", args=[communication.sponsor.slug, communication.pk])


def history_url(communication_or_pk, sponsor):
    pk = getattr(communication_or_pk, "pk", communication_or_pk)
    return reverse("history", args=[sponsor.slug, "communication", pk])


def test_it_edits_a_communication_and_records_old_and_new(manager_client, communication, sponsor):
    data = form_data(
        subject="Corrected subject", occurred_at=local_input(communication.occurred_at)
    )
    response = manager_client.post(edit_url(communication), data)
    assert response.status_code == 302
    communication.refresh_from_db()
    assert communication.subject == "Corrected subject"
    page = manager_client.get(history_url(communication, sponsor)).content.decode()
    assert "Changed" in page and "Corrected subject" in page and "Message" in page
    assert "manager" in page or communication.logged_by.get_full_name() in page


def test_it_shows_edit_errors_next_to_the_field_and_keeps_the_record(manager_client, communication):
    response = manager_client.post(edit_url(communication), form_data(subject=""))
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    communication.refresh_from_db()
    assert communication.subject.startswith("Message")


def test_it_asks_for_confirmation_and_a_reason_before_deleting(manager_client, communication):
    page = manager_client.get(delete_url(communication))
    assert page.status_code == 200 and "Delete this communication?" in page.content.decode()
    response = manager_client.post(delete_url(communication), {"reason": ""})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert Communication.objects.filter(pk=communication.pk).exists()


def test_it_deletes_with_a_reason_kept_in_the_trail(manager_client, communication, sponsor):
    pk = communication.pk
    response = manager_client.post(delete_url(communication), {"reason": "Logged on wrong project"})
    assert response.status_code == 302
    assert not Communication.objects.filter(pk=pk).exists()
    page = manager_client.get(history_url(pk, sponsor)).content.decode()
    assert "Deleted" in page and "Logged on wrong project" in page
    last = Communication.history.filter(id=pk).latest("history_date")
    assert last.history_type == "-" and last.history_user.username == "manager"
    assert last.subject == communication.subject


def test_it_redirects_htmx_deletes_with_a_client_redirect(manager_client, communication):
    response = manager_client.post(
        delete_url(communication), {"reason": "duplicate"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Redirect"].endswith(f"/projects/{communication.project_id}/")


def test_it_recomputes_activity_after_a_delete(
    manager_client, project, django_capture_on_commit_callbacks
):
    keep = CommunicationFactory(project=project, occurred_at=minutes_ago(300))
    gone = CommunicationFactory(project=project, occurred_at=minutes_ago(5))
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(delete_url(gone), {"reason": "duplicate"})
    activity = ProjectActivity.objects.get(project=project)
    assert activity.last_contact_at == keep.occurred_at
    assert activity.communication_count == 1


def test_it_records_participants_in_the_trail(manager_client, communication, contact, sponsor):
    data = form_data(
        subject=communication.subject,
        occurred_at=local_input(communication.occurred_at),
        participants=[contact.pk],
    )
    manager_client.post(edit_url(communication), data)
    page = manager_client.get(history_url(communication, sponsor)).content.decode()
    assert f"<ins>{contact.name}</ins>" in page


def test_it_answers_404_for_history_of_an_unknown_model_or_record(manager_client, sponsor):
    assert manager_client.get(reverse("history", args=[sponsor.slug, "user", 1])).status_code == 404
    assert manager_client.get(history_url(99999, sponsor)).status_code == 404
