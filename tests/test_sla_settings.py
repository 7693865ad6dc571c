"""Sponsor admins configure calendars and versioned SLA policies in the app."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from engagements.models import BusinessCalendar, PolicyTarget, PolicyVersion, SLAPolicy
from engagements.policy_forms import parse_duration

from .test_sla_requests import ask, make_policy


def u(sponsor, name, *args):
    return reverse(name, args=[sponsor.slug, *args])


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


WEEK = {f"day_{d}": "09:00-17:00" for d in range(5)} | {"day_5": "", "day_6": ""}


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("4h", 240), ("1.5 h", 90), ("90m", 90), ("2d", 960), ("3", 180), ("", None)],
)
def test_durations_are_entered_in_hours_or_business_days(text, minutes):
    assert parse_duration(text) == minutes


def test_an_admin_defines_a_calendar_and_sees_the_next_30_days(admin_client, sponsor):
    data = {
        "name": "Basel plant",
        "time_zone": "Europe/Zurich",
        "country": "ch",
        "subdivision": "BS",
        "closed_dates_text": "2026-12-28\n2026-12-29",
        **WEEK,
        "day_0": "08:00-12:00, 13:00-17:00",
    }
    response = admin_client.post(u(sponsor, "calendar_new"), data)
    calendar = BusinessCalendar.objects.get()
    assert response["Location"] == u(sponsor, "calendar_detail", calendar.pk)
    assert calendar.weekly[0] == [[480, 720], [780, 1020]] and calendar.country == "CH"
    assert calendar.closed_dates == ["2026-12-28", "2026-12-29"]
    page = admin_client.get(u(sponsor, "calendar_detail", calendar.pk))
    assert 18 <= len(page.context["days"]) <= 23  # about 21 working days in 30
    assert "Next 30 days" in page.content.decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"day_0": "09:00-13:00, 12:00-17:00"}, "overlap"),
        ({"day_0": "22:00-06:00"}, ""),
        ({"day_0": "9 to 5"}, "is not an interval like 09:00-17:00"),
        ({"time_zone": "Mars/Base"}, "Select a valid choice"),
        ({"country": "XX"}, ""),
        ({"closed_dates_text": "next friday"}, "is not a date"),
        ({**{f"day_{d}": "" for d in range(7)}}, ""),
    ],
)
def test_bad_calendar_input_is_refused_with_a_message(admin_client, sponsor, change, message):
    data = {"name": "Bad", "time_zone": "Europe/Berlin", "country": "DE", **WEEK, **change}
    response = admin_client.post(u(sponsor, "calendar_new"), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "has-error" in body or "alert-error" in body
    assert message in body
    assert not BusinessCalendar.objects.exists()


def version_data(**overrides):
    data = {
        "effective_from": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "calendar_kind": "site",
        "source": "QA §7",
        "warning_lead": "1h",
        "step_1_after": "4h",
        "step_1_role": "owner",
        "urgent__first_response": "2h",
        "urgent__resolution": "2d",
        "normal__first_response": "1d",
        "normal__next_response": "4h",
        "normal__update": "2d",
        "normal__resolution": "10d",
    }
    data.update(overrides)
    return data


def test_an_admin_creates_a_policy_and_its_terms(admin_client, sponsor):
    response = admin_client.post(u(sponsor, "policy_new"), {"name": "QA terms"})
    policy = SLAPolicy.objects.get()
    assert policy.is_default  # the first policy is the default
    assert response["Location"] == u(sponsor, "policy_version_new", policy.pk)
    admin_client.post(
        u(sponsor, "policy_version_new", policy.pk),
        version_data(override_quality="urgent resolution 1d"),
    )
    version = PolicyVersion.objects.get()
    assert version.escalation_steps == [{"after_minutes": 240, "role": "owner"}]
    quality = PolicyTarget.objects.get(version=version, category="quality", priority="urgent")
    assert (quality.first_response_minutes, quality.resolution_minutes) == (120, 480)
    question = PolicyTarget.objects.get(version=version, category="question", priority="normal")
    assert (question.first_response_minutes, question.update_interval_minutes) == (480, 960)
    assert PolicyTarget.objects.filter(version=version).count() == 36
    page = admin_client.get(u(sponsor, "policy_detail", policy.pk)).content.decode()
    assert "Version 1" in page and "QA §7" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"warning_lead": "1d"}, "must be shorter than every target"),
        ({"normal__first_response": "0h"}, "longer than zero"),
        ({"normal__first_response": "-2h"}, "Write a duration like"),
        ({"step_1_role": ""}, "Give both the delay and whom to notify"),
        ({"calendar_kind": "sponsor"}, "Choose the sponsor calendar"),
        ({"override_quality": "urgent sometime 1d"}, "write priority, clock and duration"),
        ({"effective_from": "yesterday"}, "Enter a valid date/time"),
    ],
)
def test_bad_policy_terms_are_refused_and_nothing_is_written(
    admin_client, sponsor, overrides, message
):
    policy = SLAPolicy.objects.create(sponsor=sponsor, name="P", is_default=True)
    response = admin_client.post(
        u(sponsor, "policy_version_new", policy.pk), version_data(**overrides)
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert not PolicyVersion.objects.exists() and not PolicyTarget.objects.exists()


def test_a_new_version_does_not_move_a_request_already_open(
    admin_client, sponsor, project, manager
):
    old = make_policy(sponsor, effective_from=timezone.now() - timedelta(days=5))
    request = ask(project, manager, timezone.now() - timedelta(hours=2))
    new_form = admin_client.get(u(sponsor, "policy_version_new", old.policy.pk))
    assert new_form.context["form"].initial["normal__first_response"] == 120  # prefilled
    admin_client.post(u(sponsor, "policy_version_new", old.policy.pk), version_data())
    request.refresh_from_db()
    assert request.policy_version == old
    assert old.policy.versions.count() == 2


def test_managers_read_the_terms_but_only_admins_change_them(manager_client, sponsor):
    policy = SLAPolicy.objects.create(sponsor=sponsor, name="P", is_default=True)
    assert manager_client.get(u(sponsor, "sla_settings")).status_code == 200
    assert manager_client.get(u(sponsor, "policy_detail", policy.pk)).status_code == 200
    assert manager_client.get(u(sponsor, "policy_version_new", policy.pk)).status_code == 403
    assert manager_client.get(u(sponsor, "calendar_new")).status_code == 403
    assert manager_client.post(u(sponsor, "policy_new"), {"name": "X"}).status_code == 403
    assert SLAPolicy.objects.count() == 1


def test_making_a_policy_the_default_moves_the_flag(admin_client, sponsor):
    first = SLAPolicy.objects.create(sponsor=sponsor, name="A", is_default=True)
    second = SLAPolicy.objects.create(sponsor=sponsor, name="B")
    admin_client.post(u(sponsor, "policy_make_default", second.pk))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    assert second.history.count() == 2  # audited, not a silent bulk update


def test_the_preview_shows_working_hours_in_the_calendars_zone(admin_client, sponsor, admin_user):
    admin_user.time_zone = "Asia/Tokyo"
    admin_user.save()
    admin_client.post(
        u(sponsor, "calendar_new"),
        {"name": "Basel", "time_zone": "Europe/Zurich", "country": "CH", **WEEK},
    )
    calendar = BusinessCalendar.objects.get()
    body = admin_client.get(u(sponsor, "calendar_detail", calendar.pk)).content.decode()
    assert "09:00–17:00" in body  # Zurich hours, not the admin's Tokyo clock
