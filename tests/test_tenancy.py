"""Tenant isolation: another sponsor's ids answer 404 on every URL, and nothing of theirs changes.

The URL list comes from Django's resolver, so a new URL without an entry below fails as
"unclassified" instead of going untested.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from engagements.models import Communication, Role

from .factories import MembershipFactory, UserFactory

# For each sponsor-scoped URL name: which of the outsider's objects fills its id, if any.
SPONSOR_URLS = {
    "my_work": {},
    "cdmo_list": {},
    "cdmo_new": {},
    "cdmo_detail": {"pk": "cdmo"},
    "cdmo_timeline": {"pk": "cdmo"},
    "cdmo_edit": {"pk": "cdmo"},
    "site_new": {"cdmo_pk": "cdmo"},
    "site_edit": {"pk": "site"},
    "contact_new": {"cdmo_pk": "cdmo"},
    "contact_edit": {"pk": "contact"},
    "project_list": {},
    "project_new": {},
    "project_detail": {"pk": "project"},
    "project_edit": {"pk": "project"},
    "communication_edit": {"pk": "communication"},
    "communication_delete": {"pk": "communication"},
    "request_list": {},
    "request_detail": {"pk": "request"},
    "request_action": {"pk": "request", "action": "resolve"},
    "history": {"model": "communication", "pk": "communication"},
    "search": {},
    "notifications": {},
    "sla_settings": {},
    "calendar_new": {},
    "calendar_detail": {"pk": "calendar"},
    "calendar_edit": {"pk": "calendar"},
    "policy_new": {},
    "policy_detail": {"pk": "policy"},
    "policy_version_new": {"pk": "policy"},
    "policy_make_default": {"pk": "policy"},
    "notifications_read": {},
    "sponsor_security": {},
    "member_list": {},
    "member_role": {"pk": "membership"},
    "member_remove": {"pk": "membership"},
    "invitation_resend": {"pk": "invitation"},
    "invitation_revoke": {"pk": "invitation"},
    "attainment": {},
    "attainment_csv": {},
    "attainment_clocks_csv": {},
}
# URLs outside a sponsor: reviewed here so that adding one is a conscious decision.
GLOBAL_URLS = {
    "home",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "preferences",
    "two_factor_setup",
    "two_factor_verify",
    "two_factor_disable",
    "invitation_accept",
}


def _named_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            yield from _named_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + str(entry.pattern), entry.name


def test_it_classifies_every_url():
    unclassified = [
        (route, name)
        for route, name in _named_patterns()
        if name not in SPONSOR_URLS and name not in GLOBAL_URLS
    ]
    assert unclassified == [], "add these URLs to the tenant-isolation crawl"
    sponsor_routes = {name for route, name in _named_patterns() if "<slug:sponsor_slug>" in route}
    assert sponsor_routes == set(SPONSOR_URLS)


def _outsider_kwargs(name, world):
    kwargs = {}
    for param, source in SPONSOR_URLS[name].items():
        kwargs[param] = source if param in ("model", "action") else world[source].pk
    return kwargs


def _b_state(world):
    """A fingerprint of everything sponsor B owns, to prove no request changed it."""
    sponsor = world["sponsor"]
    return (
        Communication.history.filter(sponsor_id=sponsor.pk).count(),
        list(
            Communication.objects.filter(sponsor=sponsor).values_list("pk", "subject", "updated_at")
        ),
    )


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.EXECUTIVE, Role.VIEWER])
def test_it_answers_404_for_another_sponsors_ids_on_every_url(
    client, sponsor, outsider_world, role
):
    user = MembershipFactory(sponsor=sponsor, role=role, user=UserFactory()).user
    client.force_login(user)
    before = _b_state(outsider_world)
    answers = {}
    for name in SPONSOR_URLS:
        kwargs = _outsider_kwargs(name, outsider_world)
        # B's ids under A's slug, and anything under B's slug.
        urls = [reverse(name, kwargs={"sponsor_slug": outsider_world["sponsor"].slug, **kwargs})]
        if kwargs:
            urls.append(reverse(name, kwargs={"sponsor_slug": sponsor.slug, **kwargs}))
        for url in urls:
            for method in ("get", "post"):
                data = {"subject": "hijack", "reason": "x", "name": "hijack"}
                response = getattr(client, method)(url, data)
                answers[(method, url)] = response.status_code
    wrong = {key: code for key, code in answers.items() if code != 404}
    assert wrong == {}
    assert _b_state(outsider_world) == before
    print(f"tenant crawl ({role}): {len(answers)} requests, all 404")


def test_it_answers_the_same_404_for_a_missing_id_and_a_foreign_one(
    manager_client, sponsor, outsider_world
):
    foreign = manager_client.get(
        reverse("project_detail", args=[sponsor.slug, outsider_world["project"].pk])
    )
    missing = manager_client.get(reverse("project_detail", args=[sponsor.slug, 987654321]))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content


def test_it_hides_history_of_another_sponsors_deleted_record(
    manager_client, sponsor, outsider_world
):
    communication = outsider_world["communication"]
    pk = communication.pk
    communication._change_reason = "cleanup"
    communication.delete()
    url = reverse("history", args=[sponsor.slug, "communication", pk])
    assert manager_client.get(url).status_code == 404


def test_it_answers_404_to_a_user_removed_from_the_sponsor_on_the_next_request(
    client, sponsor, project
):
    membership = MembershipFactory(sponsor=sponsor, role=Role.MANAGER)
    client.force_login(membership.user)
    url = reverse("project_detail", args=[sponsor.slug, project.pk])
    assert client.get(url).status_code == 200
    membership.delete()
    assert client.get(url).status_code == 404


def test_it_refuses_writes_to_read_only_roles(client, sponsor, project, executive, viewer):
    for user in (executive, viewer):
        client.force_login(user)
        assert (
            client.get(reverse("project_detail", args=[sponsor.slug, project.pk])).status_code
            == 200
        )
        for name, args in [
            ("cdmo_new", []),
            ("project_new", []),
            ("project_edit", [project.pk]),
            ("cdmo_edit", [project.cdmo_id]),
        ]:
            assert client.get(reverse(name, args=[sponsor.slug, *args])).status_code == 403, name
        response = client.post(
            reverse("project_detail", args=[sponsor.slug, project.pk]),
            {"subject": "x", "direction": "outbound", "channel": "email"},
        )
        assert response.status_code == 403
    assert not Communication.objects.filter(project=project).exists()


def test_it_sends_anonymous_users_to_sign_in(client, sponsor, project):
    response = client.get(reverse("project_detail", args=[sponsor.slug, project.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
