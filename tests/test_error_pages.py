"""Error pages with DEBUG off: the portal's look, a way back, no traceback, SQL or settings."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from .error_urls import SECRET_IN_ERROR

LEAKS = ["Traceback", "SELECT", "hunter2", "DATABASES", "SECRET_KEY", settings.SECRET_KEY, 'File "']


def assert_portal_error_page(response, status, heading):
    body = response.content.decode()
    assert response.status_code == status
    assert f"<h1>{heading}</h1>" in body
    assert "css/portal.css" in body and "Back to the portal" in body
    assert [leak for leak in LEAKS if leak in body] == []


@pytest.mark.urls("tests.error_urls")
def test_it_shows_a_plain_500_page_with_the_request_id_and_nothing_else(manager, caplog):
    assert settings.DEBUG is False
    client = Client(raise_request_exception=False)
    client.force_login(manager)
    response = client.get("/boom/")
    assert_portal_error_page(response, 500, "Something went wrong")
    assert response["X-Request-ID"] in response.content.decode()
    # The details go to the log, under the same request id, for whoever investigates.
    logged = [r for r in caplog.records if r.name == "django.request" and r.levelname == "ERROR"]
    assert logged and SECRET_IN_ERROR in str(logged[0].exc_info[1])


@pytest.mark.urls("tests.error_urls")
@pytest.mark.parametrize("path", ["/database-down/", "/connection-closed/"])
def test_it_answers_a_short_503_with_retry_after_while_the_database_is_unreachable(manager, path):
    client = Client(raise_request_exception=False)
    client.force_login(manager)
    response = client.get(path)
    assert_portal_error_page(response, 503, "Back in a moment")
    assert response["Retry-After"] == "30"
    assert response["X-Request-ID"] in response.content.decode()
    assert len(response.content) < 4000


def test_persistent_database_connections_are_checked_before_reuse():
    database = settings.DATABASES["default"]
    assert database["CONN_MAX_AGE"] == 0 or database["CONN_HEALTH_CHECKS"] is True


def test_it_shows_a_plain_404_page(manager_client):
    response = manager_client.get("/no/such/page/")
    assert_portal_error_page(response, 404, "Not found")
    assert "Using the URLconf" not in response.content.decode()  # Django's debug 404


def test_it_shows_a_plain_403_page_that_says_why(client, viewer, sponsor):
    client.force_login(viewer)
    response = client.get(reverse("cdmo_new", args=[sponsor.slug]))
    assert_portal_error_page(response, 403, "Not allowed")
    assert "Your role can read but not change" in response.content.decode()


def test_it_shows_a_plain_403_page_for_a_refused_form(manager, sponsor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    response = client.post(reverse("cdmo_new", args=[sponsor.slug]), {"name": "x"})
    assert_portal_error_page(response, 403, "Not allowed")
    assert "reload the page" in response.content.decode()
