"""The audit trail of a record as CSV: what a QA reviewer files, safe to open in a spreadsheet."""

import csv
import io
from datetime import datetime

from django.urls import reverse

from engagements import services

from .test_communication_edit import edit_url, history_url
from .test_communication_log import form_data, local_input


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_it_exports_the_trail_one_line_per_changed_field(manager_client, communication, sponsor):
    manager_client.post(
        edit_url(communication),
        form_data(subject="Corrected", occurred_at=local_input(communication.occurred_at)),
    )
    response = manager_client.get(history_url(communication, sponsor), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="communication-{communication.pk}-audit-trail.csv"'
    )
    header, *rows = csv_rows(response)
    assert header == ["when (UTC)", "who", "action", "field", "old", "new", "reason"]
    changed = [r for r in rows if r[2] == "Changed" and r[3] == "subject"]
    assert len(changed) == 1
    when, who, _, _, old, new, _ = changed[0]
    assert (old, new) == (communication.subject, "Corrected")
    assert who.endswith("(manager)")
    assert datetime.fromisoformat(when).utcoffset().total_seconds() == 0
    assert any(r[2] == "Created" for r in rows)


def test_it_keeps_the_reason_of_a_deletion(manager_client, communication, sponsor, manager):
    pk = communication.pk
    services.communication_delete(communication=communication, by=manager, reason="Duplicate")
    rows = csv_rows(manager_client.get(history_url(pk, sponsor), {"format": "csv"}))[1:]
    assert rows[0][2] == "Deleted" and rows[0][6] == "Duplicate"


def test_it_neutralises_spreadsheet_formulas(manager_client, communication, sponsor, manager):
    hostile = ['=HYPERLINK("http://x.example","click")', "+1+1", "-2+3", "@SUM(A1)"]
    for text in hostile:
        services.communication_update(communication=communication, by=manager, subject=text)
    response = manager_client.get(history_url(communication, sponsor), {"format": "csv"})
    cells = [cell for row in csv_rows(response)[1:] for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]
    for text in hostile:
        assert f"'{text}" in cells
    print(f"\nCSV export: {len(hostile)} formula prefixes neutralised, {len(cells)} cells checked")


def test_it_answers_404_for_another_sponsors_record_as_csv(manager_client, sponsor, outsider_world):
    pk = outsider_world["communication"].pk
    foreign = manager_client.get(history_url(pk, sponsor), {"format": "csv"})
    missing = manager_client.get(history_url(987654321, sponsor), {"format": "csv"})
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    theirs = reverse("history", args=[outsider_world["sponsor"].slug, "communication", pk])
    assert manager_client.get(theirs, {"format": "csv"}).status_code == 404


def test_it_links_the_export_from_the_history_page(manager_client, communication, sponsor):
    page = manager_client.get(history_url(communication, sponsor)).content.decode()
    assert f"{history_url(communication, sponsor)}?format=csv" in page


def test_it_shows_the_trail_of_sla_settings(client, admin_user, sponsor):
    from engagements.models import BusinessCalendar

    client.force_login(admin_user)
    calendar = BusinessCalendar.objects.create(sponsor=sponsor, name="Basel", time_zone="UTC")
    calendar.country = "CH"
    calendar.save()
    page = client.get(reverse("history", args=[sponsor.slug, "calendar", calendar.pk]))
    assert page.status_code == 200 and "Basel" in page.content.decode()
    detail = client.get(reverse("calendar_detail", args=[sponsor.slug, calendar.pk]))
    assert (
        reverse("history", args=[sponsor.slug, "calendar", calendar.pk]) in detail.content.decode()
    )
