"""Security headers on every kind of page, cookie flags, and production's HTTPS-only headers."""

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_POLICY = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "frame-ancestors": {"'none'"},
    "form-action": {"'self'"},
    "base-uri": {"'none'"},
    "object-src": {"'none'"},
}


def policy_of(response):
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


def assert_hardened(response):
    assert policy_of(response) == EXPECTED_POLICY
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert uuid.UUID(response["X-Request-ID"]).version == 4


@pytest.fixture
def pages(sponsor, project, communication):
    """One page of each kind: lists, detail, forms, an htmx fragment, account, errors."""
    slug = sponsor.slug
    return {
        "my work": reverse("my_work", args=[slug]),
        "project list": reverse("project_list", args=[slug]),
        "project page": reverse("project_detail", args=[slug, project.pk]),
        "new CDMO form": reverse("cdmo_new", args=[slug]),
        "audit trail": reverse("history", args=[slug, "communication", communication.pk]),
        "preferences": reverse("preferences"),
        "two-factor setup": reverse("two_factor_setup"),
        "sign-in rules": reverse("sponsor_security", args=[slug]),
        "not found": reverse("project_detail", args=[slug, 987654]),
    }


def test_it_sends_the_security_headers_on_every_kind_of_page(client, admin_user, pages, sponsor):
    client.force_login(admin_user)
    checked = 0
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code in (200, 404), name
        assert_hardened(response)
        checked += 1
    fragment = client.get(pages["project page"] + "?q=x", HTTP_HX_REQUEST="true")
    assert_hardened(fragment)
    client.logout()
    for url in (reverse("login"), reverse("admin:login"), reverse("home")):
        assert_hardened(client.get(url))
        checked += 1
    print(f"security headers: checked on {checked + 1} pages (one an htmx fragment)")


def _not_stored(response):
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private", "no-cache"} <= directives


def test_it_keeps_every_signed_in_page_and_export_out_of_caches(client, admin_user, pages, sponsor):
    client.force_login(admin_user)
    urls = {
        **pages,
        "SLA report CSV": reverse("attainment_csv", args=[sponsor.slug]),
        "clocks CSV": reverse("attainment_clocks_csv", args=[sponsor.slug]),
        "members": reverse("member_list", args=[sponsor.slug]),
    }
    cached = [name for name, url in urls.items() if not _not_stored(client.get(url))]
    assert cached == []
    fragment = client.get(pages["project page"] + "?q=x", HTTP_HX_REQUEST="true")
    assert _not_stored(fragment)
    signed_out = client.post(reverse("logout"))
    assert _not_stored(signed_out)


def test_it_sends_the_headers_on_refusals_too(client, viewer, sponsor):
    client.force_login(viewer)
    forbidden = client.get(reverse("cdmo_new", args=[sponsor.slug]))
    assert forbidden.status_code == 403
    assert_hardened(forbidden)
    client.logout()
    locked_out = None
    for _ in range(10):
        locked_out = client.post(reverse("login"), {"username": "x", "password": "y"})
        if locked_out.status_code == 429:
            break
    assert locked_out.status_code == 429
    assert_hardened(locked_out)


def test_it_gives_every_response_its_own_request_id(client):
    ids = {client.get(reverse("login"))["X-Request-ID"] for _ in range(5)}
    assert len(ids) == 5


def test_it_sets_httponly_samesite_cookies(client, manager):
    page = client.get(reverse("login"))
    csrf = page.cookies["csrftoken"]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"
    signed_in = client.post(
        reverse("login"), {"username": "manager", "password": "correct-horse-battery"}
    )
    session = signed_in.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"
    assert 0 < int(session["max-age"]) <= 30 * 60  # the idle timeout, not two weeks


def test_it_keeps_inline_code_out_of_every_page_template():
    """The CSP would block it anyway; this names the template before a browser does.

    E-mail templates are not pages (no CSP applies, and mail clients want inline styles).
    """
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:|hx-on|js:", re.I
    )
    comments = re.compile(r"{#.*?#}|{% comment %}.*?{% endcomment %}", re.S)
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "templates").rglob("*.html")
        if "emails" not in path.parts and inline.search(comments.sub("", path.read_text()))
    ]
    assert offenders == []


def test_it_tells_htmx_to_need_neither_eval_nor_inline_styles(client):
    page = client.get(reverse("login")).content.decode()
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page)
    config = json.loads(meta.group(1))
    assert config["allowEval"] is False
    assert config["includeIndicatorStyles"] is False
    assert "style" not in config["attributesToSettle"]


PRODUCTION_PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client, override_settings

# Only the static manifest (made by collectstatic at build time) is swapped out.
with override_settings(
    STORAGES={"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
):
    client = Client(HTTP_HOST="portal.example.com")
    plain = client.get("/accounts/login/")
    tls = client.get("/accounts/login/", secure=True)
csrf = tls.cookies[settings.CSRF_COOKIE_NAME]
print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location"),
    "status": tls.status_code,
    "headers": dict(tls.headers),
    "csrf_cookie": {"name": settings.CSRF_COOKIE_NAME, "secure": bool(csrf["secure"]),
                    "httponly": bool(csrf["httponly"]), "samesite": csrf["samesite"]},
    "session_cookie": {"name": settings.SESSION_COOKIE_NAME,
                       "secure": settings.SESSION_COOKIE_SECURE,
                       "httponly": settings.SESSION_COOKIE_HTTPONLY,
                       "samesite": settings.SESSION_COOKIE_SAMESITE},
}))
"""


def test_it_sends_hsts_and_secure_cookies_with_production_settings():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cdmo_portal.settings.production",
        "SECRET_KEY": "x7" * 30 + "-production-like-secret-for-the-probe",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1/cdmo"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "ALLOWED_HOSTS": "portal.example.com",
        "SITE_URL": "https://portal.example.com",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(  # noqa: S603  (our own interpreter and script)
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["plain_status"] == 301
    assert probe["plain_location"].startswith("https://portal.example.com/")
    assert probe["status"] == 200
    headers = probe["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert probe["csrf_cookie"] == {
        "name": "__Host-csrftoken",
        "secure": True,
        "httponly": True,
        "samesite": "Lax",
    }
    assert probe["session_cookie"] == {
        "name": "__Host-sessionid",
        "secure": True,
        "httponly": True,
        "samesite": "Lax",
    }
