"""Sign-in: throttling per source, identical answers, password policy, session lifetime."""

import re
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from .factories import UserFactory

PASSWORD = "correct-horse-battery"
TOKEN = re.compile(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+')


def sign_in(client, username, password=PASSWORD, ip="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def page_without_tokens(response):
    """The page as a user sees it, minus the per-response CSRF token."""
    return TOKEN.sub(r"\1…", response.content.decode())


def fail_until_locked(client, username, ip, limit=50):
    """Wrong passwords until the lockout page comes; the number of attempts it took."""
    for attempt in range(1, limit + 1):
        if sign_in(client, username, "wrong-password", ip).status_code == 429:
            return attempt
    raise AssertionError(f"{username} from {ip} was never locked out")


# Throttling -------------------------------------------------------------------------------------


def test_it_locks_one_username_from_one_address_but_not_the_real_user_elsewhere(client, manager):
    attempts = fail_until_locked(client, "manager", "203.0.113.9")
    assert attempts == settings.AXES_FAILURE_LIMIT
    # The right password from the attacking address is refused too...
    locked = sign_in(client, "manager", PASSWORD, "203.0.113.9")
    assert locked.status_code == 429
    assert "Sign-in paused" in locked.content.decode()
    # ...while the real user, signing in from their own address, gets in.
    real_user = sign_in(Client(), "manager", PASSWORD, "198.51.100.20")
    assert real_user.status_code == 302
    print(f"sign-in lock: one username from one address locked after {attempts} failures")


def test_it_blocks_credential_stuffing_across_many_usernames_from_one_address(client, manager):
    usernames = [f"victim{n}" for n in range(settings.LOGIN_FAILURE_LIMIT_PER_IP)]
    answers = [sign_in(client, name, "leaked-password-1", "192.0.2.66") for name in usernames]
    codes = [answer.status_code for answer in answers]
    assert codes[:-1] == [200] * (len(usernames) - 1)  # one failure each: no per-user lock
    assert codes[-1] == 429
    # Now the address is locked for every username, even with the right password...
    assert sign_in(client, "manager", PASSWORD, "192.0.2.66").status_code == 429
    # ...but no user is locked anywhere else.
    assert sign_in(Client(), "manager", PASSWORD, "192.0.2.67").status_code == 302
    print(f"credential stuffing: one address locked after {len(usernames)} usernames tried")


def test_it_answers_a_known_and_an_unknown_username_identically(client, manager):
    wrong = sign_in(client, "manager", "not-the-password")
    unknown = sign_in(client, "nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 200
    assert page_without_tokens(wrong) == page_without_tokens(unknown).replace(
        "nobody-here", "manager"
    )


def test_it_gives_the_same_lockout_page_for_a_known_and_an_unknown_username(client, manager):
    fail_until_locked(client, "manager", "10.1.1.1")
    fail_until_locked(client, "nobody-here", "10.1.1.2")
    known = sign_in(client, "manager", "x", "10.1.1.1")
    unknown = sign_in(client, "nobody-here", "x", "10.1.1.2")
    assert known.status_code == unknown.status_code == 429
    assert page_without_tokens(known) == page_without_tokens(unknown)


def test_it_answers_a_deactivated_user_like_a_wrong_password(client, manager):
    manager.is_active = False
    manager.save()
    deactivated = sign_in(client, "manager", PASSWORD)
    wrong = sign_in(client, "nobody-here", PASSWORD)
    assert deactivated.status_code == wrong.status_code == 200
    assert "_auth_user_id" not in client.session


def test_it_resets_the_count_after_a_successful_sign_in(client, manager):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "manager", "wrong-password")
    assert sign_in(client, "manager").status_code == 302
    client.post(reverse("logout"))
    assert fail_until_locked(client, "manager", "10.0.0.1") == settings.AXES_FAILURE_LIMIT


def test_it_trusts_forwarded_addresses_only_from_its_own_proxies(rf, settings):
    from accounts.security import client_ip

    request = rf.get("/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.5")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.9.9.9"  # a client-sent header is not believed
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.5"  # what our one proxy saw; "1.1.1.1" is forged


@pytest.mark.parametrize(
    "forwarded", ["not-an-ip", "999.1.1.1", "1.2.3.4:5678", "<script>", "\x00", "a" * 300]
)
def test_it_signs_in_and_throttles_with_a_malformed_forwarded_address(
    client, manager, settings, forwarded
):
    settings.TRUSTED_PROXY_COUNT = 1
    headers = {"REMOTE_ADDR": "10.0.0.7", "HTTP_X_FORWARDED_FOR": forwarded}
    wrong = client.post(reverse("login"), {"username": "manager", "password": "nope"}, **headers)
    assert wrong.status_code == 200  # the form again, not a 500
    attempt = AccessAttempt.objects.get(username="manager")
    assert attempt.ip_address == "10.0.0.7"  # the proxy's address stands in for the bad one
    right = client.post(
        reverse("login"), {"username": "manager", "password": "correct-horse-battery"}, **headers
    )
    assert right.status_code == 302


def test_it_normalises_a_forwarded_address_and_ignores_a_malformed_one(rf, settings):
    from accounts.security import client_ip

    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="2001:DB8::0001")
    assert client_ip(request) == "2001:db8::1"
    request = rf.get("/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="1.1.1.1, junk")
    assert client_ip(request) == "10.9.9.9"


# Password policy ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "quiet harbour lantern",  # words only: length, not composition
        "1" + "9" * 11 + "73",  # digits only are fine when long and not common
        "ünïcödé pässphrase ✓",
        "x" * 60 + "y" * 68,  # 128 characters: the maximum
    ],
)
def test_it_accepts_long_passwords_of_any_characters(password, manager):
    validate_password(password, user=manager)


@pytest.mark.parametrize(
    "password, code",
    [
        ("short pass", "password_too_short"),
        ("x" * 129, "password_too_long"),
        ("password1234", "password_too_common"),
        ("manager@example.com", "password_too_similar"),
    ],
)
def test_it_refuses_short_long_common_and_user_like_passwords(password, code, manager):
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user=manager)
    assert code in {error.code for error in refused.value.error_list}


# Sessions ----------------------------------------------------------------------------------------


def test_it_gives_the_session_a_new_key_and_a_new_csrf_secret_at_sign_in(client, manager):
    client.get(reverse("login"))
    csrf_before = client.cookies[settings.CSRF_COOKIE_NAME].value
    before = client.session  # an anonymous session, as a visitor (or a planted cookie) has
    before["seen"] = True
    before.save()
    assert sign_in(client, "manager").status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before.session_key
    assert not Session.objects.filter(session_key=before.session_key).exists()
    assert client.cookies[settings.CSRF_COOKIE_NAME].value != csrf_before


def test_it_ends_the_session_on_the_server_at_sign_out(client, manager):
    sign_in(client, "manager")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key  # the old cookie, kept by an attacker
    assert replay.get(reverse("home")).status_code == 302


def test_it_signs_out_after_thirty_idle_minutes(client, manager, sponsor):
    home = reverse("my_work", args=[sponsor.slug])
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sign_in(client, "manager")
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        clock.shift(timedelta(minutes=29))
        assert client.get(home).status_code == 200
        clock.shift(timedelta(minutes=29))  # 58 minutes after sign-in, 29 after the last request
        assert client.get(home).status_code == 200
        clock.shift(settings.SESSION_IDLE_TIMEOUT + timedelta(seconds=1))
        response = client.get(home)
        # The stored session has expired too: its key is worth nothing, whoever holds it.
        assert not Session.objects.filter(session_key=key, expire_date__gt=timezone.now()).exists()
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_it_signs_out_twelve_hours_after_sign_in_however_active(client, manager, sponsor):
    home = reverse("my_work", args=[sponsor.slug])
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sign_in(client, "manager")
        requests = 0
        while (elapsed := timedelta(minutes=20) * requests) < settings.SESSION_ABSOLUTE_TIMEOUT:
            assert client.get(home).status_code == 200, elapsed
            clock.shift(timedelta(minutes=20))
            requests += 1
        clock.shift(timedelta(seconds=1))
        assert client.get(home).status_code == 302
    print(f"absolute timeout: signed out after {requests} requests 20 minutes apart (12 h)")


def test_it_keeps_the_stored_expiry_within_the_idle_timeout(client, manager):
    sign_in(client, "manager")
    session = Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)
    assert session.expire_date <= timezone.now() + settings.SESSION_IDLE_TIMEOUT


def test_it_ends_every_session_of_a_deactivated_user(manager, sponsor):
    laptop, phone = Client(), Client()
    sign_in(laptop, "manager")
    sign_in(phone, "manager", ip="10.0.0.2")
    manager.is_active = False
    manager.save()
    for device in (laptop, phone):
        assert device.get(reverse("my_work", args=[sponsor.slug])).status_code == 302


def test_it_revives_no_session_when_a_deactivated_user_is_reactivated(manager, sponsor):
    laptop = Client()
    sign_in(laptop, "manager")
    page = reverse("my_work", args=[sponsor.slug])
    assert laptop.get(page).status_code == 200
    manager.is_active = False
    manager.save()
    assert not Session.objects.filter(
        session_key=laptop.cookies[settings.SESSION_COOKIE_NAME].value
    ).exists()
    manager.is_active = True
    manager.save()
    assert laptop.get(page).status_code == 302  # signed out for good: sign in again


def test_it_ends_the_sessions_of_a_user_deactivated_in_the_admin(client, manager, sponsor):
    laptop = Client()
    sign_in(laptop, "manager")
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    change = reverse("admin:accounts_user_change", args=[manager.pk])
    data = {  # the change form with "Active" unticked
        "username": manager.username,
        "first_name": manager.first_name,
        "last_name": manager.last_name,
        "email": manager.email,
        "time_zone": manager.time_zone,
        "date_joined_0": "2025-01-01",
        "date_joined_1": "09:00:00",
    }
    assert client.post(change, data).status_code == 302
    manager.refresh_from_db()
    assert not manager.is_active
    manager.is_active = True
    manager.save()
    assert laptop.get(reverse("my_work", args=[sponsor.slug])).status_code == 302


def test_it_ends_other_sessions_when_the_password_changes(manager, sponsor):
    laptop, phone = Client(), Client()
    sign_in(laptop, "manager")
    sign_in(phone, "manager", ip="10.0.0.2")
    changed = laptop.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a much longer passphrase 2026",
            "new_password2": "a much longer passphrase 2026",
        },
    )
    assert changed.status_code == 302
    page = reverse("my_work", args=[sponsor.slug])
    assert laptop.get(page).status_code == 200  # the session that changed it stays in
    assert phone.get(page).status_code == 302  # every other one is out
