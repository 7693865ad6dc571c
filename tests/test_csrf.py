"""CSRF over every URL: no token, a wrong token, a foreign Origin or Referer — refused, no write.

The URL list is the tenant-isolation crawl's (Django's resolver, ids filled from fixtures), plus
the admin's sign-in. No view is exempt; the htmx path (token in the X-CSRFToken header, as
base.html's hx-headers sends it) is accepted.
"""

from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils.crypto import get_random_string

from .test_tenancy import GLOBAL_URLS, SPONSOR_URLS, _named_patterns, _outsider_kwargs

REFUSAL = "was sent from another site"
FOREIGN = "https://attacker.example"
# What a forged form would send: enough for a delete (reason) or a rename to succeed.
PAYLOAD = {"subject": "forged", "reason": "forged", "name": "forged", "require_two_factor": "on"}


def crawl_urls(world):
    """Every named URL, with the ids of `world`, the sponsor its user administers."""
    urls = {"admin:login": reverse("admin:login")}
    for _route, name in _named_patterns():
        if name in SPONSOR_URLS:
            kwargs = {"sponsor_slug": world["sponsor"].slug, **_outsider_kwargs(name, world)}
            urls[name] = reverse(name, kwargs=kwargs)
        else:
            assert name in GLOBAL_URLS, name
            urls[name] = reverse(name)
    return urls


def database_state():
    """Every row of every table (sessions aside: signing in writes them), to compare."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in apps.get_models()
        if model is not Session
    }


def signed_in_client(user, secret):
    """A browser of `user` that enforces CSRF like production, holding the cookie `secret`."""
    # A view failing on the forged payload is past the CSRF check: an answer, not an exception.
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(user)
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    return client


def forged_posts(client, url, secret):
    """The four ways a forged POST arrives; each answer."""
    wrong = get_random_string(32)
    return {
        "no token": client.post(url, PAYLOAD),
        "wrong token": client.post(url, {**PAYLOAD, "csrfmiddlewaretoken": wrong}),
        "foreign Origin": client.post(
            url,
            {**PAYLOAD, "csrfmiddlewaretoken": secret},
            secure=True,
            HTTP_ORIGIN=FOREIGN,
            HTTP_REFERER=f"{FOREIGN}/page",
        ),
        "foreign Referer": client.post(
            url, {**PAYLOAD, "csrfmiddlewaretoken": secret}, secure=True, HTTP_REFERER=FOREIGN
        ),
    }


def test_it_refuses_every_forged_post_and_writes_nothing(outsider_world):
    secret = get_random_string(32)
    client = signed_in_client(outsider_world["user"], secret)
    urls = crawl_urls(outsider_world)
    before = database_state()
    refused = {}
    for name, url in urls.items():
        for kind, response in forged_posts(client, url, secret).items():
            refused[(name, kind)] = response.status_code == 403 and REFUSAL in response.text
    assert [key for key, ok in refused.items() if not ok] == []
    assert database_state() == before
    print(
        f"CSRF crawl: {len(urls)} URLs × {len(refused) // len(urls)} forged POSTs = "
        f"{len(refused)} refused with 403, no row written"
    )


def test_it_accepts_the_token_in_the_htmx_header(outsider_world):
    secret = get_random_string(32)
    urls = crawl_urls(outsider_world)
    refused = []
    for name, url in urls.items():
        client = signed_in_client(outsider_world["user"], secret)  # sign-out ends the last one
        response = client.post(url, PAYLOAD, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=secret)
        if response.status_code == 403 and REFUSAL in response.text:
            refused.append(name)
    assert refused == []
    print(f"CSRF crawl: the X-CSRFToken header passes the check on all {len(urls)} URLs")


def test_it_accepts_a_form_posted_from_its_own_origin_over_https(client, manager, sponsor):
    secret = get_random_string(32)
    browser = signed_in_client(manager, secret)
    response = browser.post(
        reverse("cdmo_new", args=[sponsor.slug]),
        {"csrfmiddlewaretoken": secret},
        secure=True,
        HTTP_ORIGIN="https://testserver",
        HTTP_REFERER="https://testserver/",
    )
    assert response.status_code == 200  # the form, with its own errors: past the CSRF check


def test_its_forged_payload_would_write_if_the_check_were_missing(outsider_world):
    """The control: without CSRF enforcement the same POSTs change data, so the crawl can fail."""
    client = Client(raise_request_exception=False)
    client.force_login(outsider_world["user"])
    before = database_state()
    for name, url in crawl_urls(outsider_world).items():
        if name != "logout":
            client.post(url, PAYLOAD)
    after = database_state()
    changed = [label for label in before if before[label] != after[label]]
    assert "engagements.Communication" in changed  # deleted, with the forged reason
    print(f"CSRF control: without the check the forged POSTs change {len(changed)} tables")
