"""The fixed cast of every test: sponsor A with one user per role, and an outsider sponsor B.

With REQUIRE_SERVICES=1 (the README's test command sets it) an unreachable PostgreSQL or Redis
fails the run at once instead of skipping anything.
"""

import os
import socket
from urllib.parse import urlparse

import pytest

from engagements.models import Role

from .factories import (
    CommunicationFactory,
    ContactFactory,
    InvitationFactory,
    MembershipFactory,
    ProjectFactory,
    RequestFactory,
    SponsorFactory,
    UserFactory,
)


def _reachable(url, default_port):
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or default_port), timeout=3):
            return True
    except OSError:
        return False


def pytest_sessionstart(session):
    if os.environ.get("REQUIRE_SERVICES") != "1":
        return
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    problems = []
    if not database_url.startswith("postgres"):
        problems.append("DATABASE_URL must point at PostgreSQL")
    elif not _reachable(database_url, 5432):
        problems.append(f"PostgreSQL is unreachable at {database_url}")
    if not redis_url.startswith("redis"):
        problems.append("REDIS_URL must point at Redis")
    elif not _reachable(redis_url, 6379):
        problems.append(f"Redis is unreachable at {redis_url}")
    if problems:
        pytest.exit("REQUIRE_SERVICES=1: " + "; ".join(problems), returncode=3)


@pytest.fixture
def sponsor(db):
    return SponsorFactory(name="Helix Test", slug="helix-test")


@pytest.fixture
def other_sponsor(db):
    return SponsorFactory(name="Outsider Bio", slug="outsider")


def _member(sponsor, role, username):
    return MembershipFactory(sponsor=sponsor, role=role, user=UserFactory(username=username)).user


@pytest.fixture
def manager(sponsor):
    return _member(sponsor, Role.MANAGER, "manager")


@pytest.fixture
def admin_user(sponsor):
    return _member(sponsor, Role.ADMIN, "sponsoradmin")


@pytest.fixture
def executive(sponsor):
    return _member(sponsor, Role.EXECUTIVE, "executive")


@pytest.fixture
def viewer(sponsor):
    return _member(sponsor, Role.VIEWER, "viewer")


@pytest.fixture
def project(sponsor, manager):
    return ProjectFactory(cdmo__sponsor=sponsor, owner=manager)


@pytest.fixture
def contact(project):
    return project.spoc


@pytest.fixture
def open_request(project):
    return RequestFactory(project=project)


@pytest.fixture
def communication(project):
    return CommunicationFactory(project=project)


@pytest.fixture
def outsider_world(other_sponsor):
    """Sponsor B's rows: one of each kind, for the tenant-isolation crawl."""
    outsider = _member(other_sponsor, Role.ADMIN, "outsider")
    project = ProjectFactory(cdmo__sponsor=other_sponsor, owner=outsider)
    extra_contact = ContactFactory(cdmo=project.cdmo)
    request = RequestFactory(project=project)
    communication = CommunicationFactory(project=project)
    communication.requests.add(request)
    from engagements.models import BusinessCalendar, SLAPolicy

    calendar = BusinessCalendar.objects.create(
        sponsor=other_sponsor, name="Outsider hours", time_zone="Europe/Oslo"
    )
    policy = SLAPolicy.objects.create(sponsor=other_sponsor, name="Outsider terms")
    invitation = InvitationFactory(sponsor=other_sponsor, invited_by=outsider)
    return {
        "membership": outsider.memberships.get(sponsor=other_sponsor),
        "invitation": invitation,
        "calendar": calendar,
        "policy": policy,
        "user": outsider,
        "sponsor": other_sponsor,
        "project": project,
        "cdmo": project.cdmo,
        "site": project.site,
        "contact": extra_contact,
        "request": request,
        "communication": communication,
    }


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client
