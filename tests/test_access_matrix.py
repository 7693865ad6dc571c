"""Who may do what: role × URL × method, every cell stated, on the member's own sponsor's rows.

The table below is the specification a reviewer reads: for each URL of the resolver (a status
action of a request once per action) and each method, the status code each role gets — reads
200 for everyone, writes 302 (saved, redirected) for admins and project managers and 403 for
executives and viewers, SLA settings and sign-in rules for admins only. A POST carries a valid
form, so a 302 means the write went through. A URL without a row fails the test. Each cell
runs in a savepoint rolled back afterwards: every cell starts from the same rows.

Also here: a demotion takes effect on the user's very next request, and background work
(recompute, sweep, notices) never mixes sponsors.
"""

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.apps import apps
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from engagements.models import Communication, Membership, Request, Role, Sponsor
from engagements.request_views import ACTIONS
from scorecards import activity, notify, recompute, sweep
from scorecards.models import Breach, Clock, Notice, Notification

from .factories import CommunicationFactory, MembershipFactory, RequestFactory
from .test_tenancy import GLOBAL_URLS, SPONSOR_URLS, _named_patterns
from .worlds import sponsor_world

ROLES = (Role.ADMIN, Role.MANAGER, Role.EXECUTIVE, Role.VIEWER)

# fmt: off
# (URL name[:action], method):           admin  manager  executive  viewer
MATRIX = {
    ("my_work", "GET"):                     (200,   200,     200,     200),
    ("my_work", "POST"):                    (200,   200,     200,     200),
    ("cdmo_list", "GET"):                   (200,   200,     200,     200),
    ("cdmo_list", "POST"):                  (200,   200,     200,     200),
    ("cdmo_new", "GET"):                    (200,   200,     403,     403),
    ("cdmo_new", "POST"):                   (302,   302,     403,     403),
    ("cdmo_detail", "GET"):                 (200,   200,     200,     200),
    ("cdmo_detail", "POST"):                (200,   200,     200,     200),
    ("cdmo_timeline", "GET"):               (200,   200,     200,     200),
    ("cdmo_timeline", "POST"):              (200,   200,     200,     200),
    ("cdmo_edit", "GET"):                   (200,   200,     403,     403),
    ("cdmo_edit", "POST"):                  (302,   302,     403,     403),
    ("site_new", "GET"):                    (200,   200,     403,     403),
    ("site_new", "POST"):                   (302,   302,     403,     403),
    ("site_edit", "GET"):                   (200,   200,     403,     403),
    ("site_edit", "POST"):                  (302,   302,     403,     403),
    ("contact_new", "GET"):                 (200,   200,     403,     403),
    ("contact_new", "POST"):                (302,   302,     403,     403),
    ("contact_edit", "GET"):                (200,   200,     403,     403),
    ("contact_edit", "POST"):               (302,   302,     403,     403),
    ("project_list", "GET"):                (200,   200,     200,     200),
    ("project_list", "POST"):               (200,   200,     200,     200),
    ("project_new", "GET"):                 (200,   200,     403,     403),
    ("project_new", "POST"):                (302,   302,     403,     403),
    ("project_detail", "GET"):              (200,   200,     200,     200),
    ("project_detail", "POST"):             (302,   302,     403,     403),  # the quick log
    ("project_edit", "GET"):                (200,   200,     403,     403),
    ("project_edit", "POST"):               (302,   302,     403,     403),
    ("communication_edit", "GET"):          (200,   200,     403,     403),
    ("communication_edit", "POST"):         (302,   302,     403,     403),
    ("communication_delete", "GET"):        (200,   200,     403,     403),
    ("communication_delete", "POST"):       (302,   302,     403,     403),
    ("request_list", "GET"):                (200,   200,     200,     200),
    ("request_list", "POST"):               (200,   200,     200,     200),
    ("request_detail", "GET"):              (200,   200,     200,     200),
    ("request_detail", "POST"):             (200,   200,     200,     200),
    ("request_action:cancel", "GET"):       (405,   405,     403,     403),
    ("request_action:cancel", "POST"):      (302,   302,     403,     403),
    ("request_action:log", "GET"):          (405,   405,     403,     403),
    ("request_action:log", "POST"):         (302,   302,     403,     403),
    ("request_action:pause", "GET"):        (405,   405,     403,     403),
    ("request_action:pause", "POST"):       (302,   302,     403,     403),
    ("request_action:reclassify", "GET"):   (405,   405,     403,     403),
    ("request_action:reclassify", "POST"):  (302,   302,     403,     403),
    ("request_action:reopen", "GET"):       (405,   405,     403,     403),
    ("request_action:reopen", "POST"):      (302,   302,     403,     403),
    ("request_action:resolve", "GET"):      (405,   405,     403,     403),
    ("request_action:resolve", "POST"):     (302,   302,     403,     403),
    ("request_action:resume", "GET"):       (405,   405,     403,     403),
    ("request_action:resume", "POST"):      (302,   302,     403,     403),
    ("history", "GET"):                     (200,   200,     200,     200),
    ("history", "POST"):                    (200,   200,     200,     200),
    ("search", "GET"):                      (200,   200,     200,     200),
    ("search", "POST"):                     (200,   200,     200,     200),
    ("notifications", "GET"):               (200,   200,     200,     200),
    ("notifications", "POST"):              (200,   200,     200,     200),
    ("notifications_read", "GET"):          (405,   405,     405,     405),
    ("notifications_read", "POST"):         (302,   302,     302,     302),  # one's own alerts
    ("attainment", "GET"):                  (200,   200,     200,     200),
    ("attainment", "POST"):                 (405,   405,     405,     405),
    ("attainment_csv", "GET"):              (200,   200,     200,     200),
    ("attainment_csv", "POST"):             (405,   405,     405,     405),
    ("attainment_clocks_csv", "GET"):       (200,   200,     200,     200),
    ("attainment_clocks_csv", "POST"):      (405,   405,     405,     405),
    ("sla_settings", "GET"):                (200,   200,     200,     200),
    ("sla_settings", "POST"):               (200,   200,     200,     200),
    ("calendar_new", "GET"):                (200,   403,     403,     403),
    ("calendar_new", "POST"):               (302,   403,     403,     403),
    ("calendar_detail", "GET"):             (200,   200,     200,     200),
    ("calendar_detail", "POST"):            (200,   200,     200,     200),
    ("calendar_edit", "GET"):               (200,   403,     403,     403),
    ("calendar_edit", "POST"):              (302,   403,     403,     403),
    ("policy_new", "GET"):                  (200,   403,     403,     403),
    ("policy_new", "POST"):                 (302,   403,     403,     403),
    ("policy_detail", "GET"):               (200,   200,     200,     200),
    ("policy_detail", "POST"):              (200,   200,     200,     200),
    ("policy_version_new", "GET"):          (200,   403,     403,     403),
    ("policy_version_new", "POST"):         (302,   403,     403,     403),
    ("policy_make_default", "GET"):         (405,   403,     403,     403),
    ("policy_make_default", "POST"):        (302,   403,     403,     403),
    ("sponsor_security", "GET"):            (200,   403,     403,     403),
    ("sponsor_security", "POST"):           (302,   403,     403,     403),
    ("member_list", "GET"):                 (200,   403,     403,     403),
    ("member_list", "POST"):                (302,   403,     403,     403),  # an invitation
    ("member_role", "GET"):                 (405,   403,     403,     403),
    ("member_role", "POST"):                (302,   403,     403,     403),
    ("member_remove", "GET"):               (405,   403,     403,     403),
    ("member_remove", "POST"):              (302,   403,     403,     403),
    ("invitation_resend", "GET"):           (405,   403,     403,     403),
    ("invitation_resend", "POST"):          (302,   403,     403,     403),
    ("invitation_revoke", "GET"):           (405,   403,     403,     403),
    ("invitation_revoke", "POST"):          (302,   403,     403,     403),
    # Outside a sponsor: the same for every role.
    ("home", "GET"):                        (302,   302,     302,     302),  # to the sponsor
    ("home", "POST"):                       (302,   302,     302,     302),
    ("login", "GET"):                       (302,   302,     302,     302),  # signed in already
    ("login", "POST"):                      (302,   302,     302,     302),
    ("logout", "GET"):                      (405,   405,     405,     405),
    ("logout", "POST"):                     (302,   302,     302,     302),
    ("password_change", "GET"):             (200,   200,     200,     200),
    ("password_change", "POST"):            (302,   302,     302,     302),
    ("password_change_done", "GET"):        (200,   200,     200,     200),
    ("password_change_done", "POST"):       (405,   405,     405,     405),
    ("preferences", "GET"):                 (200,   200,     200,     200),
    ("preferences", "POST"):                (302,   302,     302,     302),
    ("two_factor_setup", "GET"):            (200,   200,     200,     200),
    ("two_factor_setup", "POST"):           (200,   200,     200,     200),  # a wrong code
    ("two_factor_verify", "GET"):           (302,   302,     302,     302),  # no app: to setup
    ("two_factor_verify", "POST"):          (302,   302,     302,     302),
    ("two_factor_disable", "GET"):          (405,   405,     405,     405),
    ("two_factor_disable", "POST"):         (302,   302,     302,     302),  # no app: to setup
    ("invitation_accept", "GET"):           (400,   400,     400,     400),  # no token
    ("invitation_accept", "POST"):          (400,   400,     400,     400),
}
# fmt: on

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's


def endpoints():
    """Every URL of the resolver as a row name; request_action once per action."""
    names = []
    for _route, name in _named_patterns():
        if name == "request_action":
            names += [f"{name}:{action}" for action in sorted(ACTIONS)]
        else:
            names.append(name)
    return names


def url_for(row, world):
    name, _, action = row.partition(":")
    if name in GLOBAL_URLS:
        return reverse(name)
    kwargs = {"sponsor_slug": world["sponsor"].slug}
    for param, source in SPONSOR_URLS[name].items():
        kwargs[param] = {"model": source, "action": action}.get(param) or world[source].pk
    return reverse(name, kwargs=kwargs)


def valid_post(row, world, user):
    """A form that is accepted when the role may write: a 302 then proves the write happened."""
    now = timezone.localtime() - timedelta(hours=1)
    project, cdmo, site = world["project"], world["cdmo"], world["site"]
    project_form = {
        "name": project.name,
        "code": project.code,
        "cdmo": cdmo.pk,
        "service_type": project.service_type,
        "status": "active",
        "owner": world["user"].pk,
        "sla_policy": project.sla_policy_id or "",  # unchanged: a change needs a reason
    }
    log = {
        "channel": "email",
        "direction": "outbound",
        "occurred_at": now.strftime("%Y-%m-%dT%H:%M"),
        "subject": "Matrix",
    }
    calendar = {"name": world["calendar"].name, "time_zone": "Europe/Zurich", "day_0": "9:00-17:00"}
    return {
        "cdmo_new": {"name": "Matrix Biologics", "status": "active"},
        "cdmo_edit": {"name": cdmo.name, "status": "paused"},
        "site_new": {"name": "Basel", "country": "CH", "subdivision": "BS", "time_zone": "UTC"},
        "site_edit": {"name": site.name, "country": "CH", "time_zone": "Europe/Zurich"},
        "contact_new": {"name": "Ada Quinn"},
        "contact_edit": {"name": "Ada Quinn"},
        "project_new": {**project_form, "name": "Matrix", "code": "MTX-1"},
        "project_edit": project_form,
        "project_detail": log,
        "communication_edit": log,
        "communication_delete": {"reason": "Logged twice"},
        "request_action:log": log,
        "request_action:pause": {"reason_category": "information", "reason": "Our answer"},
        "request_action:reclassify": {"category": "quality", "priority": "high"},
        "calendar_new": {**calendar, "name": "Night shift"},
        "calendar_edit": calendar,
        "policy_new": {"name": "Fast terms"},
        "policy_version_new": {
            "effective_from": now.strftime("%Y-%m-%dT%H:%M"),
            "calendar_kind": "site",
            "normal__first_response": "1d",
        },
        "sponsor_security": {"require_two_factor": ""},
        "member_list": {"email": "new.colleague@example.com", "role": "viewer"},
        "member_role": {"role": "executive"},
        "login": {"username": user.username, "password": PASSWORD},
        "password_change": {
            "old_password": PASSWORD,
            "new_password1": "a long and new passphrase",
            "new_password2": "a long and new passphrase",
        },
        "preferences": {"first_name": "Ada", "email": user.email, "time_zone": "Europe/Oslo"},
        "two_factor_setup": {"code": "000000"},
    }.get(row, {})


class Rollback(Exception):
    pass


@contextmanager
def rolled_back():
    """Run the block in a savepoint and undo whatever it wrote."""
    try:
        with transaction.atomic():
            yield
            raise Rollback
    except Rollback:
        pass


@pytest.fixture
def cast(sponsor, admin_user, manager, executive, viewer):
    world = sponsor_world(sponsor, manager)
    return world, {
        Role.ADMIN: admin_user,
        Role.MANAGER: manager,
        Role.EXECUTIVE: executive,
        Role.VIEWER: viewer,
    }


def test_every_url_has_a_row_for_both_methods():
    rows = {row for row, _method in MATRIX}
    missing = sorted(set(endpoints()) - rows)
    assert missing == [], "state the expected code of every role for these URLs in MATRIX"
    assert sorted(rows - set(endpoints())) == [], "rows of URLs that no longer exist"
    assert all((row, method) in MATRIX for row in rows for method in ("GET", "POST"))


def test_each_role_gets_the_stated_code_on_every_url(cast):
    world, users = cast
    answers = {}
    for row in endpoints():
        url = url_for(row, world)
        for role_index, role in enumerate(ROLES):
            user = users[role]
            for method in ("GET", "POST"):
                with rolled_back():
                    client = Client()
                    client.force_login(user)
                    if method == "GET":
                        response = client.get(url)
                    else:
                        response = client.post(url, valid_post(row, world, user))
                    answers[(row, method, role_index)] = response.status_code
    wrong = {
        (row, method, ROLES[index].value): (code, MATRIX[(row, method)][index])
        for (row, method, index), code in answers.items()
        if code != MATRIX[(row, method)][index]
    }
    assert wrong == {}, "(url, method, role): (got, stated)"
    urls = len(endpoints())
    print(
        f"access matrix: {urls} URLs × {len(ROLES)} roles × 2 methods = {len(answers)} cells, "
        "each as stated"
    )


def test_each_write_of_the_matrix_really_writes(cast):
    """The control: a 302 in the table is a saved form, not a refusal that redirects."""
    world, users = cast
    client = Client()
    client.force_login(users[Role.MANAGER])
    url = url_for("project_detail", world)
    before = Communication.objects.count()
    data = valid_post("project_detail", world, users[Role.MANAGER])
    assert client.post(url, data).status_code == 302
    assert Communication.objects.count() == before + 1


# Demotion ------------------------------------------------------------------------------------


def test_a_demotion_takes_effect_on_the_very_next_request(client, sponsor, project, manager):
    membership = Membership.objects.get(user=manager, sponsor=sponsor)
    client.force_login(manager)
    page = reverse("project_detail", args=[sponsor.slug, project.pk])
    log = {
        "channel": "email",
        "direction": "outbound",
        "occurred_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "subject": "Before",
    }
    assert client.post(page, log).status_code == 302

    membership.role = Role.VIEWER
    membership.save()
    assert client.post(page, {**log, "subject": "After"}).status_code == 403
    assert client.get(reverse("project_edit", args=[sponsor.slug, project.pk])).status_code == 403
    assert client.get(page).status_code == 200  # still a member: reads go on
    assert list(project.communications.values_list("subject", flat=True)) == ["Before"]


def test_an_admin_demoted_to_manager_loses_the_settings_at_once(client, sponsor, admin_user):
    client.force_login(admin_user)
    settings_page = reverse("sponsor_security", args=[sponsor.slug])
    assert client.get(settings_page).status_code == 200
    Membership.objects.filter(user=admin_user, sponsor=sponsor).update(role=Role.MANAGER)
    assert client.get(settings_page).status_code == 403
    assert client.post(reverse("policy_new", args=[sponsor.slug]), {"name": "X"}).status_code == 403


# Background work never mixes sponsors --------------------------------------------------------


def _tenant_tables():
    """Tables with a sponsor_id column: every tenant row and its history."""
    return sorted(
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if any(field.column == "sponsor_id" for field in model._meta.concrete_fields)
    )


@contextmanager
def only_one_sponsor_visible(sponsor_id):
    """Run the block as a PostgreSQL role that sees, and may write, one sponsor's rows only.

    Row-level security on every table with a sponsor_id: another sponsor's rows are invisible
    to reads, and writing one fails. Everything (role, policies) is rolled back afterwards.
    """
    role = f"tenant_probe_{connection.settings_dict['NAME']}"[:60]
    quote = connection.ops.quote_name
    with rolled_back(), connection.cursor() as cursor:
        # Deferred foreign-key checks pending in the test's transaction would block ALTER TABLE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"CREATE ROLE {quote(role)} NOLOGIN")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {quote(role)}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {quote(role)}")
        for table in _tenant_tables():
            cursor.execute(f"ALTER TABLE {quote(table)} ENABLE ROW LEVEL SECURITY")
            cursor.execute(
                f"CREATE POLICY one_sponsor ON {quote(table)} "  # noqa: S608 - our table names
                "USING (sponsor_id = current_setting('probe.sponsor')::bigint) "
                "WITH CHECK (sponsor_id = current_setting('probe.sponsor')::bigint)"
            )
        cursor.execute("SELECT set_config('probe.sponsor', %s, true)", [str(sponsor_id)])
        cursor.execute(f"SET LOCAL ROLE {quote(role)}")
        try:
            yield
        finally:
            cursor.execute("RESET ROLE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _stored(request):
    """What a recompute stores for one request, comparable across runs."""
    return (
        sorted(
            Clock.objects.filter(request=request).values_list(
                "sponsor_id", "kind", "started_at", "state", "due_at", "used_minutes"
            )
        ),
        sorted(
            Breach.objects.filter(request=request).values_list(
                "sponsor_id", "clock_kind", "clock_started_at", "breached_at", "withdrawn_at"
            )
        ),
        sorted(
            Notice.objects.filter(request=request).values_list(
                "sponsor_id", "clock_kind", "kind", "step", "role", "fire_at"
            )
        ),
    )


@pytest.fixture
def two_sponsors(sponsor, other_sponsor, manager):
    """Both sponsors with overdue asks, answers pending, alerts due — the same shape each."""
    worlds = []
    for tenant, owner in ((sponsor, manager), (other_sponsor, None)):
        owner = owner or MembershipFactory(sponsor=tenant, role=Role.MANAGER).user
        MembershipFactory(sponsor=tenant, role=Role.ADMIN)
        MembershipFactory(sponsor=tenant, role=Role.EXECUTIVE)
        world = sponsor_world(tenant, owner)
        world["version"].escalation_steps = [
            {"after_minutes": 60, "role": "owner"},
            {"after_minutes": 120, "role": "admin"},
            {"after_minutes": 240, "role": "executive"},
        ]
        world["version"].save()
        old = timezone.now() - timedelta(days=20)
        Request.objects.filter(pk=world["request"].pk).update(opened_at=old)
        later = RequestFactory(project=world["project"], policy_version=world["version"])
        CommunicationFactory(project=world["project"], needs_response=True).requests.add(later)
        worlds.append(world)
    return worlds


def test_a_recompute_reads_and_writes_only_its_own_sponsors_rows(two_sponsors):
    """Each request's recompute, run where only its sponsor's rows exist for the database
    role, stores exactly what it stores with every row visible — and writes no other row."""
    requests = list(Request.objects.filter(sponsor__in=[w["sponsor"] for w in two_sponsors]))
    assert len({r.sponsor_id for r in requests}) == 2
    first, second = (w["sponsor"].pk for w in two_sponsors)
    with only_one_sponsor_visible(first):  # the probe itself: the other sponsor is not there
        assert Request.objects.filter(sponsor_id=first).exists()
        assert not Request.objects.filter(sponsor_id=second).exists()
    checked, now = 0, timezone.now()
    for request in requests:
        with rolled_back():
            with CaptureQueriesContext(connection) as everything_visible:
                recompute.recompute(request.pk, now)
            expected = _stored(request)
        with rolled_back(), only_one_sponsor_visible(request.sponsor_id):
            with CaptureQueriesContext(connection) as one_sponsor:
                recompute.recompute(request.pk, now)
            assert _stored(request) == expected
        assert expected[0], "the recompute stored clocks"
        assert {row[0] for part in expected for row in part} == {request.sponsor_id}
        assert len(one_sponsor) == len(everything_visible)
        checked += 1
    for world in two_sponsors:
        with rolled_back(), only_one_sponsor_visible(world["sponsor"].pk):
            figures = activity.recompute(world["project"].pk)
            assert figures.communication_count == world["project"].communications.count()
    print(f"background isolation: {checked} recomputes, each under one sponsor's rows only")


def test_the_sweep_and_its_alerts_never_mix_sponsors(two_sponsors):
    """One sweep over both sponsors: every clock, breach, notice and alert it writes carries
    its own request's sponsor, alerts go to members of that sponsor only, and each notice,
    delivered where only its sponsor's rows are visible, reaches the same people."""
    with CaptureQueriesContext(connection) as queries:
        summary = sweep.run(batch=100)
    assert summary["stale"] >= 4 and summary["notices"] > 0
    request_sponsor = dict(Request.objects.values_list("id", "sponsor_id"))
    for model in (Clock, Breach, Notice, Notification):
        rows = list(model.objects.values_list("request_id", "sponsor_id"))
        assert rows and all(request_sponsor[r] == s for r, s in rows), model.__name__
    members = set(Membership.objects.values_list("user_id", "sponsor_id"))
    alerts = list(Notification.objects.values_list("user_id", "sponsor_id", "notice__sponsor_id"))
    assert all((user, sponsor) in members and sponsor == notice for user, sponsor, notice in alerts)
    slugs = {s.slug: s.pk for s in Sponsor.objects.all()}
    for message in mail.outbox:
        (address,) = message.to
        slug = re.search(r"/s/([^/]+)/requests/", message.body).group(1)
        recipient = User.objects.get(email=address)
        assert (recipient.pk, slugs[slug]) in members, message.subject

    sent = len(mail.outbox)

    # The same notices again, each delivered with only its own sponsor's rows visible.
    delivered = sorted(Notification.objects.values_list("notice_id", "user_id"))
    Notification.objects.all().delete()
    notices = list(Notice.objects.exclude(sent_at=None).values_list("id", "sponsor_id"))
    Notice.objects.update(claimed_at=None, sent_at=None)
    for notice_id, sponsor_id in notices:
        with only_one_sponsor_visible(sponsor_id):
            notify.handle_one(notice_id)
            again = list(Notification.objects.values_list("notice_id", "user_id"))
        # Rolled back with the probe; compare with what the full sweep delivered for it.
        assert sorted(again) == [d for d in delivered if d[0] == notice_id]
    print(
        f"background isolation: one sweep over 2 sponsors ({len(queries)} queries), "
        f"{len(alerts)} alerts and {sent} e-mails, each within its own sponsor; "
        f"{len(notices)} notices delivered again under one sponsor's rows: same recipients"
    )


def test_an_alert_never_goes_to_a_project_owner_who_left_the_sponsor(two_sponsors):
    """The owner of a project is alerted as a member: once removed from the sponsor, no more."""
    world = two_sponsors[0]
    owner = world["project"].owner
    Membership.objects.filter(user=owner, sponsor=world["sponsor"]).delete()
    MembershipFactory(user=owner, sponsor=two_sponsors[1]["sponsor"], role=Role.MANAGER)
    sweep.run(batch=100)
    assert not Notification.objects.filter(user=owner).exists()
    assert not [m for m in mail.outbox if owner.email in m.to]
