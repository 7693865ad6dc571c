"""Seed a private database for the PostgreSQL drill: one manager, one project, a session.

Run as `python -m tests.drill_seed` with DATABASE_URL pointing at the private server; prints
the session key and the project page's path as JSON.
"""

import json
import os

import django


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cdmo_portal.settings.test")
    django.setup()
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client
    from django.urls import reverse

    from engagements.models import Role

    from .factories import MembershipFactory, ProjectFactory

    manager = MembershipFactory(role=Role.MANAGER).user
    project = ProjectFactory(cdmo__sponsor=manager.memberships.get().sponsor, owner=manager)
    client = Client()
    client.force_login(manager)
    session_key = client.cookies["sessionid"].value
    assert SessionStore(session_key).exists(session_key)
    path = reverse("project_detail", args=[project.sponsor.slug, project.pk])
    print(json.dumps({"session": session_key, "path": path, "project": project.pk}))


if __name__ == "__main__":
    main()
