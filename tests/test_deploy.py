"""Production settings pass Django's deployment checks; the demo seed builds a usable portfolio."""

import os
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command

from engagements.models import CDMO, Communication, Membership, Project, Sponsor

ROOT = Path(__file__).resolve().parent.parent


def test_production_settings_pass_check_deploy():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cdmo_portal.settings.production",
        "SECRET_KEY": "x7" * 30 + "-production-like-secret-for-the-check",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1/cdmo"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "ALLOWED_HOSTS": "portal.example.com",
        "SITE_URL": "https://portal.example.com",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for Playwright; the check rightly flags it
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_a_missing_secret():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cdmo_portal.settings.production"}
    env.pop("SECRET_KEY", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_production_settings_refuse_a_missing_site_url():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cdmo_portal.settings.production",
        "SECRET_KEY": "x7" * 30 + "-production-like-secret-for-the-check",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1/cdmo"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    }
    env.pop("SITE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "SITE_URL must be set" in result.stderr


def test_the_demo_seed_builds_the_helix_portfolio_once(db):
    call_command("seed_demo")
    call_command("seed_demo")  # idempotent: a second run changes nothing
    helix = Sponsor.objects.get(slug="helix-bio")
    assert CDMO.objects.filter(sponsor=helix).count() == 6
    assert Project.objects.filter(sponsor=helix).count() == 20
    assert 1000 <= Communication.objects.filter(sponsor=helix).count() <= 3000
    assert set(Membership.objects.filter(sponsor=helix).values_list("role", flat=True)) == {
        "admin",
        "manager",
        "executive",
        "viewer",
    }
    assert Communication.history.filter(sponsor_id=helix.pk).count() >= 300
