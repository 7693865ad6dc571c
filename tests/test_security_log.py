"""The security log: every refused sign-in or access, with time, user, sponsor, IP, request id.

And never a secret: the crawl of failures below runs with known password, session key and CSRF
token, then searches the whole captured log — every logger, not only "security" — for them.
"""

import logging
from datetime import datetime, timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string

from cdmo_portal.request_id import RequestIdFilter

PASSWORD = "correct-horse-battery"


@pytest.fixture
def security_log(caplog):
    caplog.set_level(logging.INFO, logger="security")

    def events(name=None):
        fields = [r.security for r in caplog.records if r.name == "security"]
        return [f for f in fields if name is None or f["event"] == name]

    return events


def assert_complete(event, response, *, user, sponsor, ip="127.0.0.1"):
    """Every line answers: when, who, which sponsor, from where, which request."""
    at = datetime.fromisoformat(event["at"])
    assert at.tzinfo is not None and at.utcoffset() == timedelta(0)
    assert abs(timezone.now() - at) < timedelta(minutes=1)
    assert event["user"] == user
    assert event["sponsor"] == sponsor
    assert event["ip"] == ip
    assert event["request_id"] == response["X-Request-ID"]


def test_it_logs_a_failed_sign_in(client, manager, security_log):
    response = client.post(
        reverse("login"), {"username": "manager", "password": "guess-1"}, REMOTE_ADDR="10.2.3.4"
    )
    (event,) = security_log("login_failed")
    assert_complete(event, response, user="manager", sponsor="-", ip="10.2.3.4")


def test_it_logs_a_lockout(client, manager, security_log):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": "manager", "password": "guess"})
    assert response.status_code == 429
    (event,) = security_log("login_locked_out")
    assert_complete(event, response, user="manager", sponsor="-")
    assert len(security_log("login_failed")) == settings.AXES_FAILURE_LIMIT


def test_it_logs_a_role_refusal(client, viewer, sponsor, security_log):
    client.force_login(viewer)
    response = client.get(reverse("cdmo_new", args=[sponsor.slug]))
    assert response.status_code == 403
    (event,) = security_log("forbidden")
    assert_complete(event, response, user="viewer", sponsor=sponsor.slug)
    assert event["path"] == reverse("cdmo_new", args=[sponsor.slug])


def test_it_logs_a_request_for_a_sponsor_the_user_does_not_belong_to(
    manager_client, outsider_world, security_log
):
    response = manager_client.get(reverse("my_work", args=[outsider_world["sponsor"].slug]))
    assert response.status_code == 404
    (event,) = security_log("sponsor_not_found")
    assert_complete(event, response, user="manager", sponsor=outsider_world["sponsor"].slug)


def test_it_logs_a_refused_csrf_check(manager, sponsor, security_log):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    response = client.post(reverse("cdmo_new", args=[sponsor.slug]), {"name": "x"})
    (event,) = security_log("csrf_refused")
    assert_complete(event, response, user="manager", sponsor=sponsor.slug)


def test_it_keeps_a_forged_username_on_one_line(client, db, security_log):
    client.post(reverse("login"), {"username": "eve\nevent=login_ok user=admin", "password": "x"})
    (event,) = security_log("login_failed")
    assert "\n" not in event["user"]


def test_it_never_logs_a_password_session_key_or_csrf_token(
    manager, viewer, sponsor, outsider_world, caplog
):
    caplog.set_level(logging.DEBUG)
    secret = get_random_string(32)
    browser = Client(enforce_csrf_checks=True)
    browser.cookies[settings.CSRF_COOKIE_NAME] = secret
    login = reverse("login")
    for attempt in range(settings.AXES_FAILURE_LIMIT + 1):  # failures, then the lockout
        browser.post(
            login,
            {
                "username": "manager",
                "password": f"{PASSWORD}-{attempt}",
                "csrfmiddlewaretoken": secret,
            },
        )
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.cookies[settings.CSRF_COOKIE_NAME] = secret
    signed_in.post(
        login,
        {"username": "viewer", "password": PASSWORD, "csrfmiddlewaretoken": secret},
        REMOTE_ADDR="10.0.0.99",
    )
    session_key = signed_in.cookies[settings.SESSION_COOKIE_NAME].value
    signed_in.get(reverse("cdmo_new", args=[sponsor.slug]))  # 403
    signed_in.get(reverse("my_work", args=[outsider_world["sponsor"].slug]))  # 404
    signed_in.post(reverse("cdmo_new", args=[sponsor.slug]), {"csrfmiddlewaretoken": "forged"})
    security_lines = [r for r in caplog.records if r.name == "security"]
    assert len(security_lines) >= settings.AXES_FAILURE_LIMIT + 4
    # django-axes keeps the failed attempts' form data in its table: masked there too.
    text = caplog.text + str(list(AccessAttempt.objects.values()))
    leaks = [s for s in (PASSWORD, session_key, secret) if s in text]
    assert leaks == []
    print(
        f"security log: {len(security_lines)} events, {len(caplog.records)} log lines in all, "
        "no password, session key or CSRF token"
    )


def test_it_puts_the_request_id_on_every_log_line_of_the_request(client, viewer, sponsor):
    lines = []
    handler = logging.Handler()
    handler.addFilter(RequestIdFilter())
    handler.emit = lines.append
    logging.getLogger("django.request").addHandler(handler)
    try:
        client.force_login(viewer)
        response = client.get(reverse("cdmo_new", args=[sponsor.slug]))  # logged as Forbidden
    finally:
        logging.getLogger("django.request").removeHandler(handler)
    assert [line.request_id for line in lines] == [response["X-Request-ID"]]
