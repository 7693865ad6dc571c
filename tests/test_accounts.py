"""Sign-in, sign-out, password change, preferences and the sponsor switcher."""

import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from engagements.models import Role

from .factories import MembershipFactory, SponsorFactory


def test_it_signs_in_and_lands_on_my_work(client, manager, sponsor):
    response = client.post(
        reverse("login"), {"username": "manager", "password": "correct-horse-battery"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("my_work", args=[sponsor.slug])


def test_it_refuses_a_wrong_password_with_one_message_for_any_username(client, manager):
    wrong = client.post(reverse("login"), {"username": "manager", "password": "nope"})
    unknown = client.post(reverse("login"), {"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 200
    message = "Please enter a correct username and password"
    assert message in wrong.content.decode() and message in unknown.content.decode()


def test_it_signs_out_on_post_only(manager_client):
    assert manager_client.get(reverse("logout")).status_code == 405
    assert manager_client.post(reverse("logout")).status_code == 302
    assert manager_client.get(reverse("home")).status_code == 302


def test_it_changes_the_password_and_keeps_the_user_signed_in(manager_client, manager):
    response = manager_client.post(
        reverse("password_change"),
        {
            "old_password": "correct-horse-battery",
            "new_password1": "a much longer passphrase 2026",
            "new_password2": "a much longer passphrase 2026",
        },
    )
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.check_password("a much longer passphrase 2026")
    assert manager_client.get(reverse("home")).status_code == 302  # still signed in


def test_it_refuses_a_short_or_common_password(manager_client):
    response = manager_client.post(
        reverse("password_change"),
        {
            "old_password": "correct-horse-battery",
            "new_password1": "password",
            "new_password2": "password",
        },
    )
    assert "too short" in response.content.decode() or "too common" in response.content.decode()


def test_it_saves_preferences_and_refuses_an_unknown_time_zone(manager_client, manager):
    url = reverse("preferences")
    bad = manager_client.post(url, {"time_zone": "Europe/Atlantis", "email": ""})
    assert "Select a valid choice" in bad.content.decode()
    manager.refresh_from_db()
    assert manager.time_zone == "Europe/Berlin"
    manager_client.post(url, {"time_zone": "Asia/Kolkata", "first_name": "Mia"})
    manager.refresh_from_db()
    assert manager.time_zone == "Asia/Kolkata"


def test_it_lets_a_user_turn_off_the_single_key_shortcut(manager_client, manager, project):
    """WCAG 2.2, 2.1.4: a one-key shortcut can be turned off; the Log link then names none."""
    page = reverse("project_detail", args=[project.sponsor.slug, project.pk])
    assert 'aria-keyshortcuts="L"' in manager_client.get(page).content.decode()
    manager_client.post(reverse("preferences"), {"time_zone": "Europe/Berlin"})  # unticked
    manager.refresh_from_db()
    assert manager.single_key_shortcuts is False
    body = manager_client.get(page).content.decode()
    assert "data-focus-log" in body and 'aria-keyshortcuts="L"' not in body


def test_it_shows_times_in_the_users_zone(manager_client, communication, manager):
    manager.time_zone = "Asia/Kolkata"
    manager.save()
    url = reverse("project_detail", args=[communication.sponsor.slug, communication.project_id])
    body = manager_client.get(url).content.decode()
    local = timezone.localtime(communication.occurred_at, zoneinfo.ZoneInfo("Asia/Kolkata"))
    assert local.strftime("%H:%M") in body


def test_it_sends_a_member_of_one_sponsor_straight_to_it(manager_client, sponsor):
    response = manager_client.get(reverse("home"))
    assert response["Location"] == reverse("my_work", args=[sponsor.slug])


def test_it_offers_a_switcher_to_a_member_of_several_sponsors(manager_client, manager, sponsor):
    second = SponsorFactory(name="Second Bio")
    MembershipFactory(user=manager, sponsor=second, role=Role.VIEWER)
    chooser = manager_client.get(reverse("home")).content.decode()
    assert "Second Bio" in chooser and sponsor.name in chooser
    page = manager_client.get(reverse("my_work", args=[second.slug])).content.decode()
    assert 'class="switcher"' in page and "Viewer" in page


def test_it_tells_a_user_without_membership_to_ask_an_admin(client, db):
    from .factories import UserFactory

    client.force_login(UserFactory())
    assert "not a member of any sponsor" in client.get(reverse("home")).content.decode()


def test_the_nightly_task_deletes_expired_sessions(db):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from accounts.tasks import clear_expired_sessions

    Session.objects.create(
        session_key="old", session_data="", expire_date=timezone.now() - timedelta(days=1)
    )
    Session.objects.create(
        session_key="live", session_data="", expire_date=timezone.now() + timedelta(days=1)
    )
    clear_expired_sessions()
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_session_cleanup():
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from accounts.tasks import clear_expired_sessions

    from .test_project_activity import real_worker, wait_until

    Session.objects.create(
        session_key="stale", session_data="", expire_date=timezone.now() - timedelta(days=1)
    )
    with real_worker():
        clear_expired_sessions.delay()
        assert wait_until(lambda: not Session.objects.filter(session_key="stale").exists())
