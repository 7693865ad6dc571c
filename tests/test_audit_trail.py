"""Every write path leaves a version: actor, sponsor, database time, old → new.

The matrix runs each write path (save, delete, QuerySet.update, bulk_create, bulk_update,
QuerySet.delete, a system process) over every audited model, with Python's clock moved to
2001 so that a version timed by the client would show. Forms, the admin, management
commands and Celery tasks are then checked through their real entry points.
"""

import contextlib
import importlib
import pkgutil
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import ProgrammingError, connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.test import RequestFactory as HttpRequestFactory
from django.urls import reverse
from simple_history.models import HistoricalRecords

from accounts.models import User
from audit.trail import AuditedCommand, AuditedQuerySet, system_actor
from cdmo_portal.celery import AuditedTask, app
from engagements.models import (
    CDMO,
    BusinessCalendar,
    Communication,
    Contact,
    Invitation,
    Membership,
    Pause,
    PolicyTarget,
    PolicyVersion,
    Project,
    Request,
    RequestEvent,
    Site,
    SLAPolicy,
    Sponsor,
    SponsorSecurityPolicy,
)
from scorecards import tasks
from scorecards.models import Breach

from .factories import ContactFactory, ProjectFactory, RequestFactory, UserFactory, minutes_ago
from .test_communication_log import HTMX, form_data
from .test_communication_log import url as log_url

PYTHON_CLOCK = datetime(2001, 1, 1, 12, 0, tzinfo=UTC)  # where a client-made time would land


@contextlib.contextmanager
def acting_as(user):
    """What HistoryRequestMiddleware does for a request of `user`."""
    request = HttpRequestFactory().get("/")
    request.user = user
    HistoricalRecords.context.request = request
    try:
        yield
    finally:
        del HistoricalRecords.context.request


def db_now():
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


# Users are audited too (audit.models), but are no tenant's rows and keep accounts' own manager:
# their trail is tested on its own below.
TRAIL_OF_USERS = {User}


def audited_models():
    return [
        m
        for m in apps.get_models()
        if hasattr(m._meta, "simple_history_manager_attribute") and m not in TRAIL_OF_USERS
    ]


# model: (build an unsaved row number n of the world, field changed, new value or None: "+*")
def _calendar(w, n):
    return BusinessCalendar(sponsor=w.sponsor, name=f"Trail hours {n}", time_zone="UTC")


SPECS = {
    Sponsor: (lambda w, n: Sponsor(name=f"Trail {n}", slug=f"trail-{n}"), "name", None),
    Membership: (
        lambda w, n: Membership(user=UserFactory(), sponsor=w.sponsor, role="viewer"),
        "role",
        "executive",
    ),
    CDMO: (lambda w, n: CDMO(sponsor=w.sponsor, name=f"Trail CDMO {n}"), "notes", "Reviewed"),
    Site: (
        lambda w, n: Site(
            cdmo=w.cdmo, name=f"Trail site {n}", country="CH", time_zone="Europe/Zurich"
        ),
        "subdivision",
        "ZH",
    ),
    Contact: (lambda w, n: Contact(cdmo=w.cdmo, name=f"Trail contact {n}"), "title", "QA Lead"),
    Project: (
        lambda w, n: Project(
            cdmo=w.cdmo,
            name=f"Trail project {n}",
            code=f"T-{n}",
            service_type="analytical",
            owner=w.user,
        ),
        "name",
        "Renamed",
    ),
    Request: (
        lambda w, n: Request(
            project=w.project, title=f"Trail ask {n}", opened_at=w.at, opened_by=w.user
        ),
        "title",
        "Renamed",
    ),
    Communication: (
        lambda w, n: Communication(
            project=w.project,
            direction="outbound",
            occurred_at=w.at,
            subject=f"Trail message {n}",
            logged_by=w.user,
            logged_at=w.at,
        ),
        "subject",
        "Renamed",
    ),
    Pause: (
        lambda w, n: Pause(
            request=w.request,
            started_at=w.at,
            ended_at=w.at,
            reason_category="other",
            reason=f"Waiting {n}",
            started_by=w.user,
        ),
        "reason",
        "Waiting for a decision",
    ),
    RequestEvent: (
        lambda w, n: RequestEvent(
            request=w.request, kind="reclassified", occurred_at=w.at, by=w.user
        ),
        "note",
        "Priority agreed",
    ),
    BusinessCalendar: (_calendar, "subdivision", "BY"),
    SLAPolicy: (lambda w, n: SLAPolicy(sponsor=w.sponsor, name=f"Trail terms {n}"), "name", None),
    PolicyVersion: (
        lambda w, n: PolicyVersion(
            sponsor=w.sponsor, policy=w.policy, number=n, effective_from=w.at
        ),
        "source",
        "Quality agreement v2",
    ),
    PolicyTarget: (
        lambda w, n: PolicyTarget(
            sponsor=w.sponsor, version=w.version, category=f"c{n}", priority="normal"
        ),
        "resolution_minutes",
        960,
    ),
    Invitation: (
        lambda w, n: Invitation(
            sponsor=w.sponsor,
            email=f"trail{n}@example.com",
            invited_by=w.user,
            token_digest=f"{n:064d}",
            expires_at=w.at,
        ),
        "email",
        None,
    ),
    # One per sponsor: each row gets a sponsor of its own ("policy-…").
    SponsorSecurityPolicy: (
        lambda w, n: SponsorSecurityPolicy(
            sponsor=Sponsor.objects.create(name=f"Policy {n}", slug=f"policy-{n}")
        ),
        "require_two_factor",
        True,
    ),
    Breach: (
        lambda w, n: Breach(
            sponsor=w.sponsor,
            request=w.request,
            clock_kind="first_response",
            clock_started_at=w.at + timedelta(minutes=n),
            breached_at=w.at + timedelta(minutes=n + 60),
        ),
        "withdrawn_reason",
        "Recomputed",
    ),
}


class Cell:
    """One model under one write path: builds rows, changes them, says what to expect."""

    counter = 0

    def __init__(self, model, world):
        self.model, self.world = model, world
        self.build, self.field, self.constant = SPECS[model]

    def new(self):
        Cell.counter += 1
        return self.build(self.world, Cell.counter)

    def saved(self):
        row = self.new()
        row.save()
        return row

    def changed_value(self, row):
        return self.constant if self.constant is not None else getattr(row, self.field) + "*"

    def update_expression(self):
        if self.constant is not None:
            return self.constant
        return Concat(F(self.field), Value("*"))


def _save_create(cell):
    row = cell.saved()
    return [(row.pk, "+", None, getattr(row, cell.field))]


def _save_change(cell):
    row = cell.saved()
    old, new = getattr(row, cell.field), cell.changed_value(row)
    setattr(row, cell.field, new)
    row.save()
    return [(row.pk, "~", old, new)]


def _delete(cell):
    row = cell.saved()
    pk = row.pk
    row._change_reason = "Entered by mistake"
    row.delete()
    return [(pk, "-", "Entered by mistake", None)]


def _queryset_update(cell):
    rows = [cell.saved(), cell.saved()]
    expected = [(r.pk, "~", getattr(r, cell.field), cell.changed_value(r)) for r in rows]
    count = cell.model.objects.filter(pk__in=[r.pk for r in rows]).update(
        **{cell.field: cell.update_expression()}
    )
    assert count == 2
    return expected


def _bulk_create(cell):
    rows = cell.model.objects.bulk_create([cell.new(), cell.new()])
    return [(r.pk, "+", None, getattr(r, cell.field)) for r in rows]


def _bulk_update(cell):
    rows = [cell.saved(), cell.saved()]
    expected = []
    for row in rows:
        old, new = getattr(row, cell.field), cell.changed_value(row)
        setattr(row, cell.field, new)
        expected.append((row.pk, "~", old, new))
    cell.model.objects.bulk_update(rows, [cell.field])
    return expected


def _queryset_delete(cell):
    rows = [cell.saved(), cell.saved()]
    pks = [r.pk for r in rows]
    cell.model.objects.filter(pk__in=pks).delete()
    return [(pk, "-", None, None) for pk in pks]


def _system_process(cell):
    with system_actor("command:audit_check"):
        row = cell.saved()
    return [(row.pk, "+", None, getattr(row, cell.field))]


PATHS = {
    "save() create": _save_create,
    "save() change": _save_change,
    "delete() with a reason": _delete,
    "QuerySet.update()": _queryset_update,
    "bulk_create()": _bulk_create,
    "bulk_update()": _bulk_update,
    "QuerySet.delete()": _queryset_delete,
    "command or task": _system_process,
}


@pytest.fixture
def world(sponsor, manager):
    project = ProjectFactory(cdmo__sponsor=sponsor, owner=manager)
    policy = SLAPolicy.objects.create(sponsor=sponsor, name="Base terms")
    return SimpleNamespace(
        sponsor=sponsor,
        user=manager,
        at=minutes_ago(120),
        cdmo=project.cdmo,
        project=project,
        request=RequestFactory(project=project),
        policy=policy,
        version=PolicyVersion.objects.create(
            sponsor=sponsor, policy=policy, number=100_000, effective_from=minutes_ago(600)
        ),
    )


def _problems_of(model, path, version, expected, before, after, user, sponsor):
    pk, kind, old_or_reason, new = expected
    problems = []
    process = path == "command or task"
    if version.history_type != kind:
        problems.append(f"type {version.history_type} instead of {kind}")
    if version.history_user != (None if process else user):
        problems.append(f"actor {version.history_user}")
    if process and version.history_process != "command:audit_check":
        problems.append(f"process {version.history_process!r}")
    if process and (version.history_username or version.history_user_name):
        problems.append("a process version names a person")
    if not process and (version.history_username, version.history_user_name) != (
        user.username,
        user.get_full_name(),
    ):
        problems.append(f"identity {version.history_username!r} {version.history_user_name!r}")
    sponsor_id = version.id if model is Sponsor else version.sponsor_id
    if model is SponsorSecurityPolicy:
        own = Sponsor.objects.filter(pk=sponsor_id, slug__startswith="policy-").exists()
        if not own:
            problems.append(f"sponsor {sponsor_id}")
    elif sponsor_id != (pk if model is Sponsor else sponsor.pk):
        problems.append(f"sponsor {sponsor_id}")
    if not before <= version.history_date <= after:
        problems.append(f"time {version.history_date} not the database's")
    if kind == "~":
        delta = version.diff_against(version.prev_record)
        change = next((c for c in delta.changes if c.field == SPECS[model][1]), None)
        if change is None or (change.old, change.new) != (old_or_reason, new):
            problems.append(f"old → new {change and (change.old, change.new)}")
    if kind == "+" and getattr(version, SPECS[model][1]) != new:
        problems.append("initial value")
    if kind == "-" and old_or_reason and version.history_change_reason != old_or_reason:
        problems.append(f"reason {version.history_change_reason!r}")
    return problems


def test_it_records_every_write_path_on_every_audited_model(world, capsys):
    assert set(SPECS) == set(audited_models()), "add the new audited model to SPECS"
    problems, versions = {}, 0
    for model in SPECS:
        for path, write in PATHS.items():
            cell = Cell(model, world)
            before = db_now()
            with acting_as(world.user), time_machine.travel(PYTHON_CLOCK):
                expected = write(cell)
            after = db_now()
            for row in expected:
                found = list(model.history.filter(id=row[0]).order_by("-history_id")[:1])
                if not found:
                    problems[(model.__name__, path)] = ["no version"]
                    continue
                versions += 1
                version = found[0]
                user, sponsor = world.user, world.sponsor
                if issues := _problems_of(model, path, version, row, before, after, user, sponsor):
                    problems[(model.__name__, path)] = issues
    assert problems == {}
    cells = len(SPECS) * len(PATHS)
    with capsys.disabled():
        print(
            f"\naudit trail: {len(PATHS)} write paths × {len(SPECS)} models = {cells} cells, "
            f"{versions} versions with actor, sponsor, database time and old → new"
        )


def test_it_gives_every_audited_model_the_auditing_queryset():
    plain = [
        m.__name__ for m in audited_models() if not isinstance(m.objects.all(), AuditedQuerySet)
    ]
    assert plain == []


def test_it_writes_computed_fields_only_through_the_named_escape_hatch(open_request):
    versions = open_request.history.count()
    Request.objects.filter(pk=open_request.pk).update_computed(clocks_stale=True)
    assert open_request.history.count() == versions
    with pytest.raises(ValueError, match="update_computed"):
        Request.objects.filter(pk=open_request.pk).update_computed(title="Quietly renamed")
    assert set(Request.computed_fields) <= set(Request.history.model._history_excluded_fields)
    with pytest.raises(ValueError):
        CDMO.objects.all().update_computed(notes="x")


def test_it_refuses_bulk_create_with_conflict_handling(sponsor):
    with pytest.raises(ValueError, match="conflict"):
        CDMO.objects.bulk_create([CDMO(sponsor=sponsor, name="A")], ignore_conflicts=True)
    assert not CDMO.objects.exists()


def test_it_checks_the_sponsor_of_bulk_created_rows_as_save_does(project, other_sponsor):
    foreign = ProjectFactory(cdmo__sponsor=other_sponsor)
    row = Communication(
        project=project,
        sponsor=other_sponsor,
        direction="outbound",
        occurred_at=minutes_ago(5),
        subject="Wrong tenant",
        logged_by=foreign.owner,
    )
    with pytest.raises(Exception, match="another sponsor"):
        Communication.objects.bulk_create([row])
    assert not Communication.objects.filter(subject="Wrong tenant").exists()


def test_it_keeps_the_links_of_a_communication_in_bulk_written_versions(communication, project):
    contact = ContactFactory(cdmo=project.cdmo)
    Communication.participants.through.objects.bulk_create(
        [Communication.participants.through(communication=communication, contact=contact)]
    )
    Communication.objects.filter(pk=communication.pk).record_versions()
    Communication.objects.filter(pk=communication.pk).update(subject="Renamed")
    latest, linked, created = communication.history.order_by("-history_id")[:3]
    assert [p.contact_id for p in latest.participants.all()] == [contact.pk]
    assert [p.contact_id for p in linked.participants.all()] == [contact.pk]
    assert list(created.participants.all()) == []
    assert [c.field for c in latest.diff_against(linked).changes] == ["subject"]


def test_it_never_takes_the_time_of_a_version_from_the_caller(communication):
    communication._history_date = PYTHON_CLOCK
    communication.subject = "Backdated?"
    communication.save()
    Communication.history.bulk_history_create([communication], default_date=PYTHON_CLOCK)
    for version in communication.history.order_by("-history_id")[:2]:
        assert abs(version.history_date - db_now()) < timedelta(minutes=1)


# Real entry points ---------------------------------------------------------------------------


def test_it_records_the_user_of_an_htmx_form(manager_client, project, manager):
    manager_client.post(log_url(project), form_data(subject="Via htmx"), **HTMX)
    version = Communication.history.get(subject="Via htmx")
    assert (version.history_type, version.history_user) == ("+", manager)
    assert version.sponsor_id == project.sponsor_id


def test_it_records_the_user_of_an_edit_form(manager_client, project, manager, sponsor):
    cdmo = project.cdmo
    data = {"name": cdmo.name, "status": "paused", "modalities": "mAbs", "services": "PD"}
    response = manager_client.post(reverse("cdmo_edit", args=[sponsor.slug, cdmo.pk]), data)
    assert response.status_code == 302
    version = cdmo.history.order_by("-history_id").first()
    assert (version.history_type, version.history_user, version.status) == ("~", manager, "paused")


def test_it_records_the_user_of_the_django_admin(client, project):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    contact = project.spoc
    change = reverse("admin:engagements_contact_change", args=[contact.pk])
    data = {"cdmo": project.cdmo_id, "name": contact.name, "title": "Head of QA"}
    assert client.post(change, data).status_code == 302
    version = contact.history.order_by("-history_id").first()
    assert (version.history_type, version.history_user, version.title) == ("~", staff, "Head of QA")
    delete = reverse("admin:engagements_contact_delete", args=[contact.pk])
    project.spoc = None
    project.save()
    assert client.post(delete, {"post": "yes"}).status_code == 302
    gone = Contact.history.filter(id=contact.pk).order_by("-history_id").first()
    assert (gone.history_type, gone.history_user) == ("-", staff)


def _overdue_request(project):
    request = RequestFactory(project=project)
    request.clocks.create(
        sponsor_id=project.sponsor_id,
        kind="first_response",
        started_at=request.opened_at,
        due_at=minutes_ago(30),
        target_minutes=60,
        state="running",
    )
    Request.objects.filter(pk=request.pk).update_computed(clocks_stale=False)
    return request


def test_it_names_the_management_command_that_wrote(project):
    request = _overdue_request(project)
    call_command("sla_sweep")
    version = Breach.history.get(request_id=request.pk)
    assert (version.history_user, version.history_process) == (None, "command:sla_sweep")


def test_it_names_the_celery_task_that_wrote(project, manager):
    request = _overdue_request(project)
    with acting_as(manager):  # an eager task inside a person's request is still the task
        tasks.sweep_sla.delay()
    version = Breach.history.get(request_id=request.pk)
    assert (version.history_user, version.history_process) == (None, "task:sweep_sla")


def test_it_runs_every_command_and_task_of_ours_as_a_named_process():
    ours = ("accounts", "engagements", "scorecards")
    commands = []
    for app_label in ours:
        package = f"{app_label}.management.commands"
        with contextlib.suppress(ModuleNotFoundError):
            path = importlib.import_module(package).__path__
            commands += [
                importlib.import_module(f"{package}.{m.name}").Command
                for m in pkgutil.iter_modules(path)
            ]
    assert commands and all(issubclass(c, AuditedCommand) for c in commands)
    app.loader.import_default_modules()
    task_names = [name for name in app.tasks if name.startswith(ours)]
    assert task_names and all(isinstance(app.tasks[n], AuditedTask) for n in task_names)
    print(f"\nnamed processes: {len(commands)} commands, {len(task_names)} tasks")


def test_it_shows_the_process_as_the_actor_on_the_history_page(manager_client, sponsor, project):
    with system_actor("task:recompute_request_clocks"):
        cdmo = CDMO.objects.create(sponsor=sponsor, name="Set by a task")
    page = manager_client.get(reverse("history", args=[sponsor.slug, "cdmo", cdmo.pk]))
    assert "<code>task:recompute_request_clocks</code>" in page.content.decode()


def test_it_refuses_to_delete_a_user_whose_changes_are_in_the_trail(project):
    editor = UserFactory()
    with acting_as(editor):
        project.name = "Renamed by an editor"
        project.save()
    # Deleting would blank the actor of their versions: deactivate the user instead.
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        editor.delete()
    assert project.history.filter(history_user=editor).exists()


# Writes the trail cannot see: none in our code (raw SQL only for ANALYZE in the benchmark).
AROUND_THE_TRAIL = (
    "save_without_historical_record",
    "skip_history_when_saving",
    "bulk_create_with_history",  # would record twice: our querysets already record
    "bulk_update_with_history",
    ".raw(",
    ".extra(",
    "RawSQL(",
    "connection.cursor(",
)
ALLOWED = {("scorecards/management/commands/bench.py", "connection.cursor(")}


def test_it_has_no_write_around_the_trail_in_our_code():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    found = []
    for app_label in ("accounts", "engagements", "scorecards"):
        for path in (root / app_label).rglob("*.py"):
            name = str(path.relative_to(root))
            if "/migrations/" in name:
                continue
            text = path.read_text()
            found += [(name, w) for w in AROUND_THE_TRAIL if w in text and (name, w) not in ALLOWED]
    assert found == []


# Who, as they were then --------------------------------------------------------------------


def _history_page(client, sponsor, model, pk):
    return client.get(reverse("history", args=[sponsor.slug, model, pk])).content.decode()


def test_it_shows_who_changed_a_record_as_they_were_named_then(manager_client, sponsor):
    editor = UserFactory(username="editor", first_name="Grace", last_name="Hopper")
    cdmo = CDMO.objects.create(sponsor=sponsor, name="Named then")
    with acting_as(editor):
        cdmo.notes = "Checked"
        cdmo.save()
    then = "Grace Hopper (editor)"
    editor.first_name, editor.last_name, editor.username = "Renamed", "Later", "renamed"
    editor.save()
    page = _history_page(manager_client, sponsor, "cdmo", cdmo.pk)
    assert then in page
    assert "Renamed Later" not in page


def test_it_never_shows_a_person_as_a_system_process(manager_client, sponsor, manager):
    manager.first_name, manager.last_name = "system (task:sweep_sla)", ""
    manager.save()
    with acting_as(manager):
        forged = CDMO.objects.create(sponsor=sponsor, name="Forged")
        forged_pk = forged.pk
        forged._change_reason = "task:sweep_sla: looks automatic"
        forged.delete()
    with system_actor("task:sweep_sla"):
        real = CDMO.objects.create(sponsor=sponsor, name="Real")
    forged_page = _history_page(manager_client, sponsor, "cdmo", forged_pk)
    assert "actor-system" not in forged_page
    assert "system (task:sweep_sla) (manager)" in forged_page  # the username gives it away
    assert "task:sweep_sla: looks automatic" in forged_page  # a typed reason stays a reason
    real_page = _history_page(manager_client, sponsor, "cdmo", real.pk)
    assert "actor-system" in real_page and "<code>task:sweep_sla</code>" in real_page


def test_it_audits_changes_to_a_users_name_and_email(client, manager):
    client.force_login(manager)
    data = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org"}
    response = client.post(reverse("preferences"), {**data, "time_zone": "Europe/Oslo"})
    assert response.status_code == 302
    version = manager.history.latest("history_id")
    assert (version.history_type, version.history_user) == ("~", manager)
    assert (version.first_name, version.email) == ("Ada", "ada@example.org")
    previous = version.prev_record
    changed = {c.field for c in version.diff_against(previous).changes}
    assert {"first_name", "last_name", "email"} <= changed
    assert not hasattr(version, "password")  # the hash is never copied into the trail


def test_it_records_no_user_version_for_a_sign_in(client, manager):
    versions = manager.history.count()
    client.post(reverse("login"), {"username": "manager", "password": "correct-horse-battery"})
    manager.refresh_from_db()
    assert manager.last_login is not None
    assert manager.history.count() == versions
