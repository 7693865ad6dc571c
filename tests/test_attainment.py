"""The SLA attainment report: counting per SPEC §3, grouping, periods, CSV, HTMX and tenancy.

Requests are opened and answered through the services and their clocks computed by
`recompute` at explicit instants, on a 24/7 policy so that every figure is plain arithmetic:
first response 2 h, next response 1 h, resolution 16 h, no update target (untimed clocks).
"""

import csv
import io
import random
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from engagements import services
from engagements.models import (
    CalendarKind,
    PolicyTarget,
    PolicyVersion,
    RequestEvent,
    Role,
    SLAPolicy,
)
from scorecards import attainment, recompute, sweep
from scorecards.attainment import Percentile, Period, percentile, preset_period
from scorecards.models import Clock

from . import test_browser
from .factories import CDMOFactory, MembershipFactory, ProjectFactory, UserFactory
from .test_sla_requests import ask as open_ask

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
WEEK = Period(date(2026, 3, 2), date(2026, 3, 8), UTC)
NOW = START + timedelta(hours=3)  # Monday 12:00


def make_policy(sponsor):
    policy = SLAPolicy.objects.create(sponsor=sponsor, name="Standard", is_default=True)
    version = PolicyVersion.objects.create(
        sponsor=sponsor,
        policy=policy,
        number=1,
        effective_from=START - timedelta(days=60),
        calendar_kind=CalendarKind.ALWAYS,
    )
    for category in ("question", "quality"):
        for priority in ("normal", "urgent"):
            PolicyTarget.objects.create(
                sponsor=sponsor,
                version=version,
                category=category,
                priority=priority,
                first_response_minutes=120,
                next_response_minutes=60,
                update_interval_minutes=None,
                resolution_minutes=960,
            )
    return version


@pytest.fixture
def policy(sponsor):
    return make_policy(sponsor)


def ask(project, by, moment, *, category="question", priority="normal", subject="Send the CoA"):
    return open_ask(project, by, moment, subject, category=category, priority=priority)


def answer(project, by, request, moment):
    with time_machine.travel(moment, tick=False):
        services.communication_log(
            project=project,
            by=by,
            channel="call",
            direction="inbound",
            occurred_at=moment,
            subject="Answer",
            attach_to=[request],
        )


def pause(request, by, moment):
    with time_machine.travel(moment, tick=False):
        services.request_pause(
            request=request, by=by, reason_category="documents", reason="Our batch record"
        )


def resume(request, by, moment):
    with time_machine.travel(moment, tick=False):
        services.request_resume(request=request, by=by)


def resolve(request, by, moment):
    with time_machine.travel(moment, tick=False):
        services.request_close(request=request, by=by, kind=RequestEvent.Kind.RESOLVED)


def compute(*requests, at):
    for request in requests:
        recompute.recompute(request.pk, at)


def counts(row):
    """(met, breached) pooled, then per kind in SPEC order."""
    return (row.pooled.met, row.pooled.breached), {
        kind: (tally.met, tally.breached) for kind, tally in row.kinds.items() if tally.counted
    }


@pytest.fixture
def monday(project, manager, policy):
    """Five requests around Monday 2 March, computed as the sweep would have left them.

    R1 answered after 1 h (met); R2 unanswered, last computed before its due time (still
    stored as running at noon, 1 h past due); R3 paused after 30 min; R4 resolved after
    30 min without an answer (first response void, resolution met); R5 from the week before.
    """
    r1 = ask(project, manager, START, subject="R1")
    answer(project, manager, r1, START + timedelta(hours=1))
    r2 = ask(project, manager, START, subject="R2")
    r3 = ask(project, manager, START, subject="R3")
    pause(r3, manager, START + timedelta(minutes=30))
    r4 = ask(project, manager, START, subject="R4")
    resolve(r4, manager, START + timedelta(minutes=30))
    r5 = ask(project, manager, START - timedelta(days=7), subject="R5")
    answer(project, manager, r5, START - timedelta(days=7) + timedelta(hours=1))
    compute(r2, at=START + timedelta(hours=1))
    compute(r1, r3, r4, r5, at=NOW)
    return {"r1": r1, "r2": r2, "r3": r3, "r4": r4, "r5": r5}


def state(request, kind):
    return Clock.objects.filter(request=request, kind=kind).values_list("state", flat=True).get()


# Counting ---------------------------------------------------------------------------------


def test_it_counts_each_clock_once_in_the_period_of_its_outcome(sponsor, monday):
    assert state(monday["r2"], "first_response") == "running"  # the sweep has not run
    assert state(monday["r1"], "update") == "untimed"
    assert state(monday["r3"], "first_response") == "paused"
    assert state(monday["r4"], "first_response") == "void"
    assert state(monday["r1"], "resolution") == "running"  # due Tuesday 01:00

    report = attainment.attainment(sponsor=sponsor, period=WEEK, grouping="cdmo", now=NOW)

    (row,) = report.rows
    # Met: R1's first response (10:00), R4's resolution (09:30). Breached: R2's first
    # response, still stored as running, at its due time 11:00. R5 belongs to last week.
    assert counts(row) == ((2, 1), {"first_response": (1, 1), "resolution": (1, 0)})
    assert round(row.pooled.compliance, 2) == 66.67
    assert row.kinds["first_response"].compliance == 50
    assert row.responsiveness.compliance == 50
    assert counts(report.total) == counts(row)


def test_a_running_clock_counts_as_breached_only_once_its_due_time_has_passed(sponsor, monday):
    due = START + timedelta(hours=2)
    at_due = attainment.attainment(sponsor=sponsor, period=WEEK, grouping="kind", now=due)
    a_minute_later = attainment.attainment(
        sponsor=sponsor, period=WEEK, grouping="kind", now=due + timedelta(minutes=1)
    )
    assert at_due.total.kinds["first_response"].breached == 0  # at due exactly: running
    assert a_minute_later.total.kinds["first_response"].breached == 1


def test_the_sweep_catching_up_changes_no_figure(sponsor, monday):
    before = attainment.attainment(sponsor=sponsor, period=WEEK, grouping="cdmo", now=NOW)
    sweep.run(NOW)
    assert state(monday["r2"], "first_response") == "breached"
    after = attainment.attainment(sponsor=sponsor, period=WEEK, grouping="cdmo", now=NOW)
    assert counts(after.total) == counts(before.total)


def test_last_weeks_outcomes_count_last_week(sponsor, monday):
    previous = Period(date(2026, 2, 23), date(2026, 3, 1), UTC)
    report = attainment.attainment(sponsor=sponsor, period=previous, grouping="kind", now=NOW)
    # R5: answered after 1 h (met); its resolution clock breached at due, Tuesday 01:00.
    assert counts(report.total) == ((1, 1), {"first_response": (1, 0), "resolution": (0, 1)})


def test_it_reports_first_response_times_with_lower_bounds_and_sponsor_wait(sponsor, monday):
    report = attainment.attainment(sponsor=sponsor, period=WEEK, grouping="cdmo", now=NOW)
    total = report.total
    # R1 answered in 60 min; R2 unanswered: >= 180 min so far; R3 paused at 30 min: >= 30;
    # R4 resolved without an answer: left out.
    assert sorted(total.first_response_times) == [(30, True), (60, False), (180, True)]
    assert total.frt_median == Percentile(60, at_least=True)
    assert total.frt_p90 == Percentile(60 + 0.8 * 120, at_least=True)
    assert total.sponsor_wait_minutes == 150  # R3 paused from 09:30 to noon
    assert report.rows[0].sponsor_wait_minutes == 150


def test_an_answer_after_the_period_end_counts_as_unanswered_at_the_end(
    sponsor, project, manager, policy
):
    late = ask(project, manager, datetime(2026, 3, 8, 20, 0, tzinfo=UTC))
    answer(project, manager, late, datetime(2026, 3, 9, 1, 0, tzinfo=UTC))
    compute(late, at=datetime(2026, 3, 10, tzinfo=UTC))
    report = attainment.attainment(
        sponsor=sponsor, period=WEEK, grouping="cdmo", now=datetime(2026, 3, 10, tzinfo=UTC)
    )
    assert report.total.first_response_times == [(240, True)]  # 20:00 to midnight, so far
    assert report.total.frt_median == Percentile(240, at_least=True)


def test_percentiles_are_percentile_cont_and_lower_bounds_mark_only_what_they_can_move():
    assert percentile([], 0.5) is None
    assert percentile([(10, False)], 0.9) == Percentile(10, False)
    values = [(m, False) for m in (10, 20, 30, 40)]
    assert percentile(values, 0.5) == Percentile(25, False)
    assert percentile(values, 0.9) == Percentile(37, False)
    # A lower bound above the median cannot move it; one below can.
    assert percentile([(10, False), (20, False), (90, True)], 0.5) == Percentile(20, False)
    assert percentile([(5, True), (20, False), (90, False)], 0.5) == Percentile(20, True)
    # On a tie the exact value sorts first.
    assert percentile([(20, True), (20, False), (30, False)], 0.5) == Percentile(20, True)
    assert percentile([(20, False), (30, True), (30, False)], 0.0) == Percentile(20, False)


# Grouping ---------------------------------------------------------------------------------


@pytest.fixture
def portfolio(sponsor, project, manager, policy):
    """Two CDMOs; asks of two categories and priorities; some answered on time, some late."""
    other = ProjectFactory(cdmo=CDMOFactory(sponsor=sponsor, name="Zeta Pharma"), owner=manager)
    project.cdmo.name = "Alpha Bio"
    project.cdmo.save()
    made = []
    for where, category, priority, minutes in [
        (project, "question", "normal", 60),  # met
        (project, "question", "urgent", 180),  # breached, answered an hour late
        (project, "quality", "urgent", 30),  # met
        (other, "quality", "normal", 300),  # breached
        (other, "quality", "normal", 90),  # met
    ]:
        request = ask(where, manager, START, category=category, priority=priority)
        answer(where, manager, request, START + timedelta(minutes=minutes))
        made.append(request)
    compute(*made, at=NOW + timedelta(hours=3))  # resolution clocks still running: left out
    return {"alpha": project, "zeta": other}


@pytest.mark.parametrize(
    "grouping, expected",
    [
        ("cdmo", [("Alpha Bio", 2, 1), ("Zeta Pharma", 1, 1)]),
        ("project", [("alpha", 2, 1), ("zeta", 1, 1)]),
        ("category", [("Question", 1, 1), ("Quality / deviation", 2, 1)]),
        ("priority", [("Urgent", 1, 1), ("Normal", 2, 1)]),
        (
            "kind",
            [
                ("First response", 3, 2),
                ("Next response", 0, 0),
                ("Update interval", 0, 0),
                ("Resolution", 0, 0),
            ],
        ),
    ],
)
def test_it_groups_by_cdmo_project_category_priority_and_clock_kind(
    sponsor, portfolio, grouping, expected
):
    report = attainment.attainment(
        sponsor=sponsor, period=WEEK, grouping=grouping, now=NOW + timedelta(hours=3)
    )
    labels = {p.code: name for name, p in portfolio.items()}
    got = [(labels.get(r.label, r.label), r.pooled.met, r.pooled.breached) for r in report.rows]
    assert got == expected
    assert (report.total.pooled.met, report.total.pooled.breached) == (3, 2)


def test_grouping_by_project_names_the_project_and_its_cdmo(sponsor, portfolio):
    report = attainment.attainment(
        sponsor=sponsor, period=WEEK, grouping="project", now=NOW + timedelta(hours=3)
    )
    first = report.rows[0]
    alpha = portfolio["alpha"]
    assert (first.key, first.label, first.name, first.detail) == (
        alpha.pk,
        alpha.code,
        alpha.name,
        "Alpha Bio",
    )
    assert first.frt_median == Percentile(60, False)  # 30, 60 and 180 minutes


# Periods ----------------------------------------------------------------------------------


def test_four_weekly_figures_add_up_to_the_28_day_figure(sponsor, project, manager, policy):
    """Outcomes spread over four weeks, one breach exactly on a week boundary, pauses across
    boundaries: each week's counts (and sponsor wait) sum to the 28-day figure."""
    second = ProjectFactory(cdmo=CDMOFactory(sponsor=sponsor), owner=manager)
    rng = random.Random(2026)  # noqa: S311 - a fixed, readable spread of test data
    end = START + timedelta(days=28)
    made = []
    for index in range(40):
        where = project if index % 2 else second
        opened = START + timedelta(hours=rng.randrange(0, 27 * 24))
        request = ask(where, manager, opened, priority=rng.choice(["normal", "urgent"]))
        made.append(request)
        if rng.random() < 0.25:
            pause(request, manager, opened + timedelta(minutes=30))
            resume(request, manager, opened + timedelta(hours=rng.randrange(2, 60)))
        if rng.random() < 0.8:
            answer(where, manager, request, opened + timedelta(minutes=rng.randrange(1, 400)))
    # Due exactly at Monday 9 March 00:00, the boundary between weeks 1 and 2: never answered.
    boundary = ask(project, manager, datetime(2026, 3, 8, 22, 0, tzinfo=UTC), subject="edge")
    made.append(boundary)
    compute(*made, at=end)
    weeks = [
        Period(
            date(2026, 3, 2) + timedelta(days=7 * n), date(2026, 3, 8) + timedelta(days=7 * n), UTC
        )
        for n in range(4)
    ]
    four_weeks = Period(date(2026, 3, 2), date(2026, 3, 29), UTC)

    for grouping in ("cdmo", "kind"):
        whole = attainment.attainment(
            sponsor=sponsor, period=four_weeks, grouping=grouping, now=end
        )
        parts = [
            attainment.attainment(sponsor=sponsor, period=week, grouping=grouping, now=end)
            for week in weeks
        ]
        assert whole.total.pooled.met > 0 and whole.total.pooled.breached > 0
        assert sum(p.total.pooled.met for p in parts) == whole.total.pooled.met
        assert sum(p.total.pooled.breached for p in parts) == whole.total.pooled.breached
        for kind in attainment.KINDS:
            assert sum(p.total.kinds[kind].met for p in parts) == whole.total.kinds[kind].met
            assert (
                sum(p.total.kinds[kind].breached for p in parts) == whole.total.kinds[kind].breached
            )
        for row in whole.rows:
            weekly = [r for p in parts for r in p.rows if r.key == row.key]
            assert sum(r.pooled.met for r in weekly) == row.pooled.met
            assert sum(r.pooled.breached for r in weekly) == row.pooled.breached
        assert whole.total.sponsor_wait_minutes > 0
        assert sum(p.total.sponsor_wait_minutes for p in parts) == whole.total.sponsor_wait_minutes

    first_response = Clock.objects.get(request=boundary, kind="first_response")
    assert first_response.due_at == datetime(2026, 3, 9, tzinfo=UTC)
    edge = [
        attainment.attainment(sponsor=sponsor, period=week, grouping="kind", now=end)
        .total.kinds["first_response"]
        .breached
        for week in weeks[:2]
    ]
    clocks_of = [
        list(
            attainment.counted_clocks(sponsor=sponsor, period=week, now=end)
            .filter(request=boundary, kind="first_response")
            .values_list("counted_as", flat=True)
        )
        for week in weeks[:2]
    ]
    assert clocks_of == [[], ["breached"]] and all(edge)


def test_presets_are_whole_days_in_the_users_time_zone():
    zone = ZoneInfo("Europe/Berlin")
    today = date(2026, 2, 14)
    seven = preset_period("7d", today=today, zone=zone)
    assert (seven.first_day, seven.last_day, seven.days) == (date(2026, 2, 8), today, 7)
    assert seven.start == datetime(2026, 2, 7, 23, 0, tzinfo=UTC)
    assert preset_period("90d", today=today, zone=zone).first_day == date(2025, 11, 17)
    quarter = preset_period("quarter", today=today, zone=zone)
    assert (quarter.first_day, quarter.last_day) == (date(2026, 1, 1), date(2026, 3, 31))
    previous = preset_period("previous_quarter", today=today, zone=zone)
    assert (previous.first_day, previous.last_day) == (date(2025, 10, 1), date(2025, 12, 31))
    previous = preset_period("previous_quarter", today=date(2026, 8, 31), zone=zone)
    assert (previous.first_day, previous.last_day) == (date(2026, 4, 1), date(2026, 6, 30))


# The page ---------------------------------------------------------------------------------


def url(sponsor, name="attainment", **params):
    from urllib.parse import urlencode

    base = reverse(name, args=[sponsor.slug])
    return f"{base}?{urlencode(params)}" if params else base


WEEK_QUERY = {"period": "custom", "start": "2026-03-02", "end": "2026-03-08"}


def get(client, address, at=NOW, **headers):
    with time_machine.travel(at, tick=False):
        return client.get(address, **headers)


def test_every_role_of_the_sponsor_reads_the_report(client, sponsor, monday):
    for role in (Role.VIEWER, Role.EXECUTIVE, Role.MANAGER, Role.ADMIN):
        client.force_login(MembershipFactory(sponsor=sponsor, role=role, user=UserFactory()).user)
        response = get(client, url(sponsor, **WEEK_QUERY))
        assert response.status_code == 200, role
        report = response.context["report"]
        assert (report.total.pooled.met, report.total.pooled.breached) == (2, 1)


def test_the_report_only_answers_reads(manager_client, sponsor):
    for name in ("attainment", "attainment_csv", "attainment_clocks_csv"):
        assert manager_client.post(url(sponsor, name)).status_code == 405
        assert manager_client.head(url(sponsor, name)).status_code == 200


def test_the_page_shows_the_table(manager_client, sponsor, monday, project):
    body = get(manager_client, url(sponsor, **WEEK_QUERY)).content.decode()
    assert "SLA attainment" in body and project.cdmo.name in body
    assert "66.7&nbsp;%" in body  # pooled
    assert "≥&nbsp;</span>1.0&nbsp;h" in body  # median FRT, a lower bound
    assert "2.5&nbsp;h" in body  # sponsor wait
    assert "2 Mar 2026 – 8 Mar 2026" in body


def test_htmx_gets_the_report_fragment_and_the_canonical_url(manager_client, sponsor, monday):
    address = url(sponsor, **WEEK_QUERY, group="kind")
    full = get(manager_client, address)
    assert "HX-Request" in full["Vary"]
    assert "<html" in full.content.decode()
    fragment = get(manager_client, address + "&extra=1", HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert "<html" not in body and body.lstrip().startswith('<div id="attainment"')
    assert "HX-Request" in fragment["Vary"]
    assert fragment["HX-Push-Url"] == address  # defaults and unknown parameters left out
    restore = get(
        manager_client, address, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in restore.content.decode()


def test_the_default_is_the_last_30_days_by_cdmo(manager_client, sponsor, monday):
    response = get(manager_client, url(sponsor))
    report = response.context["report"]
    assert report.grouping.name == "cdmo"
    assert (report.period.first_day, report.period.last_day) == (date(2026, 2, 1), date(2026, 3, 2))
    assert report.period.preset == "30d"
    # The form shows what was applied: the preset's own dates.
    assert 'value="2026-02-01"' in response.content.decode()


@pytest.mark.parametrize(
    "params, message",
    [
        ({"period": "custom", "start": "2026-03-10", "end": "2026-03-01"}, "on or before"),
        ({"period": "custom", "start": "2023-01-01", "end": "2026-03-01"}, "at most two years"),
        ({"period": "custom", "start": "2026-02-30", "end": "2026-03-01"}, "valid date"),
        ({"period": "custom", "start": "2026-03-01"}, "both a start and an end"),
        ({"period": "custom", "start": "2027-01-01", "end": "2027-01-02"}, "in the future"),
        ({"period": "custom", "start": "1969-12-01", "end": "1970-01-02"}, "from 1 January 1970"),
        ({"period": "fortnight"}, "Select a valid choice"),
        ({"group": "colour"}, "Select a valid choice"),
    ],
)
def test_bad_period_input_gets_a_clear_message_never_a_500(
    manager_client, sponsor, monday, params, message
):
    page = get(manager_client, url(sponsor, **params))
    assert page.status_code == 200
    assert message in page.content.decode()
    assert page.context["report"] is None
    fragment = get(manager_client, url(sponsor, **params), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and message in fragment.content.decode()
    for name in ("attainment_csv", "attainment_clocks_csv"):
        export = get(manager_client, url(sponsor, name, **params))
        assert export.status_code == 400 and message in export.content.decode()


def test_the_page_keeps_its_query_count_as_data_grows(
    manager_client, sponsor, project, manager, policy, django_assert_max_num_queries
):
    """Ten queries at most, whatever the data: session, user, membership; the five of the
    report (counts per group and kind; answered FRTs; requests unanswered at the period end
    and their pauses; pauses overlapping the period); the alerts count and the switcher."""
    address = url(sponsor, period="custom", start="2026-03-01", end="2026-03-31")
    later = START + timedelta(hours=12)
    first = ask(project, manager, START)
    compute(first, at=NOW)
    with django_assert_max_num_queries(10) as few:
        get(manager_client, address)
    for n in range(12):
        where = ProjectFactory(cdmo__sponsor=sponsor, owner=manager) if n % 3 == 0 else project
        request = ask(where, manager, START + timedelta(hours=n), subject=f"Ask {n}")
        if n % 2:
            answer(where, manager, request, START + timedelta(hours=n, minutes=50 * n))
        if n % 4 == 0:
            pause(request, manager, START + timedelta(hours=n, minutes=10))
        compute(request, at=later)
    for grouping in attainment.GROUPINGS:
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = get(manager_client, address + f"&group={grouping}", at=later)
        assert response.context["report"].total.frt_count == 13


# CSV --------------------------------------------------------------------------------------


def read_csv(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content.startswith("\ufeff".encode())  # so that Excel reads UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_table_exports_as_csv(manager_client, sponsor, monday, project):
    response = get(manager_client, url(sponsor, "attainment_csv", **WEEK_QUERY))
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        'attachment; filename="helix-test-sla-attainment-by-cdmo-2026-03-02-to-2026-03-08.csv"'
    )
    header, row, total = read_csv(response)
    line = dict(zip(header, row, strict=True))
    assert header[:5] == ["CDMO", "Detail", "Met", "Breached", "Compliance %"]
    assert line["CDMO"] == project.cdmo.name
    assert (line["Met"], line["Breached"], line["Compliance %"]) == ("2", "1", "66.7")
    assert (line["First response met"], line["First response breached"]) == ("1", "1")
    assert line["First response compliance %"] == "50.0"
    assert line["Next response compliance %"] == ""  # nothing counted: no figure, not 0
    assert (line["Sponsor wait h"], line["FRT requests"], line["FRT median h"]) == (
        "2.5",
        "3",
        "1.0",
    )
    assert line["FRT median is a lower bound"] == "yes"
    assert total[:4] == ["All", "", "2", "1"]


def test_the_clocks_behind_the_table_export_as_csv(manager_client, sponsor, monday, project):
    response = get(manager_client, url(sponsor, "attainment_clocks_csv", **WEEK_QUERY))
    assert response["Content-Disposition"] == (
        'attachment; filename="helix-test-sla-clocks-2026-03-02-to-2026-03-08.csv"'
    )
    header, *rows = read_csv(response)
    assert header[:7] == [
        "Request id",
        "Request title",
        "Project code",
        "CDMO",
        "Category",
        "Priority",
        "Clock kind",
    ]
    lines = [dict(zip(header, row, strict=True)) for row in rows]
    got = [(line["Request title"], line["Clock kind"], line["Counted as"]) for line in lines]
    assert got == [
        ("R4", "resolution", "met"),
        ("R1", "first_response", "met"),
        ("R2", "first_response", "breached"),
    ]
    r2 = lines[2]
    # Times in the user's zone (Europe/Berlin); a still-open clock has no stored used minutes.
    assert (r2["State"], r2["Due"], r2["Counted at"]) == (
        "running",
        "2026-03-02T12:00+01:00",
        "2026-03-02T12:00+01:00",
    )
    assert (r2["Stopped"], r2["Used minutes"], r2["Outcome at"]) == ("", "", "")
    r1 = lines[1]
    assert (r1["Used minutes"], r1["Target minutes"], r1["Project code"]) == (
        "60",
        "120",
        project.code,
    )
    assert int(r1["Request id"]) == monday["r1"].pk


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(
    manager_client, sponsor, project, manager, policy
):
    project.cdmo.name = '=HYPERLINK("http://evil.example","x")'
    project.cdmo.save()
    made = [
        ask(project, manager, START, subject=subject)
        for subject in ("@SUM(A1:A9)", "+cmd|' /C calc'!A0", "-2+3", "\tTabbed", "Plain")
    ]
    for request in made:
        answer(project, manager, request, START + timedelta(minutes=30))
    compute(*made, at=NOW)
    table = read_csv(get(manager_client, url(sponsor, "attainment_csv", **WEEK_QUERY)))
    assert table[1][0] == "'" + project.cdmo.name
    clocks = read_csv(get(manager_client, url(sponsor, "attainment_clocks_csv", **WEEK_QUERY)))
    titles = {row[1] for row in clocks[1:]}
    assert titles == {"'@SUM(A1:A9)", "'+cmd|' /C calc'!A0", "'-2+3", "'\tTabbed", "Plain"}
    assert {row[3] for row in clocks[1:]} == {"'" + project.cdmo.name}


# Tenancy ----------------------------------------------------------------------------------


def test_another_sponsors_clocks_never_appear(manager_client, sponsor, monday, outsider_world):
    outsider = outsider_world["sponsor"]
    make_policy(outsider)
    theirs = outsider_world["project"]
    theirs.cdmo.name = "Outsider CDMO Inc"
    theirs.cdmo.save()
    them = outsider_world["user"]
    foreign = ask(theirs, them, START, subject="Outsider secret ask")
    answer(theirs, them, foreign, START + timedelta(minutes=10))
    pause(ask(theirs, them, START, subject="Outsider paused"), them, START + timedelta(hours=1))
    compute(foreign, at=NOW)

    for grouping in attainment.GROUPINGS:
        page = get(manager_client, url(sponsor, **WEEK_QUERY, group=grouping))
        report = page.context["report"]
        assert (report.total.pooled.met, report.total.pooled.breached) == (2, 1)
        assert report.total.sponsor_wait_minutes == 150 and report.total.frt_count == 3
        assert "Outsider" not in page.content.decode()
    for name in ("attainment_csv", "attainment_clocks_csv"):
        export = get(manager_client, url(sponsor, name, **WEEK_QUERY, group="project"))
        assert "Outsider" not in "".join(",".join(row) for row in read_csv(export))
    assert get(manager_client, url(outsider, **WEEK_QUERY)).status_code == 404


# In the browser ---------------------------------------------------------------------------

browser_type_launch_args = test_browser.browser_type_launch_args
browser_context_args = test_browser.browser_context_args
page = test_browser.page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("browser")
def test_it_filters_in_place_and_keeps_the_filter_in_the_url(page, sponsor, project, manager):
    make_policy(sponsor)
    other = ProjectFactory(cdmo=CDMOFactory(sponsor=sponsor, name="Zeta Pharma"), owner=manager)
    now = timezone.now().replace(second=0, microsecond=0)
    answered = ask(project, manager, now - timedelta(days=2), subject="Answered")
    answer(project, manager, answered, now - timedelta(days=2) + timedelta(hours=1))
    unanswered = ask(other, manager, now - timedelta(days=2), subject="Unanswered")
    compute(answered, unanswered, at=now)
    today = timezone.localdate(now, test_browser.USER_TIME_ZONE)

    test_browser.sign_in(page, "manager")
    page.goto(f"/s/{sponsor.slug}/attainment/")
    rows = page.locator("#attainment tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator(".kpis")).to_contain_text("50 %")  # one met, one breached
    page.evaluate("window.pageLoadMarker = 'same page'")

    page.select_option("select[name=group]", "kind")
    expect(rows).to_have_count(4)
    expect(page).to_have_url(re.compile(r"\?group=kind$"))
    expect(page.get_by_role("link", name="Table as CSV")).to_have_attribute(
        "href", re.compile(r"table\.csv\?group=kind$")
    )

    page.fill("input[name=start]", (today - timedelta(days=60)).isoformat())
    page.fill("input[name=end]", (today - timedelta(days=50)).isoformat())
    page.get_by_role("button", name="Apply dates").click()
    expect(page.locator("#attainment .empty")).to_be_visible()
    expect(page).to_have_url(re.compile(r"period=custom&start=.*&end=.*&group=kind"))
    expect(page.locator("select[name=period]")).to_have_value("custom")

    page.select_option("select[name=period]", "7d")
    expect(rows).to_have_count(4)
    expect(page.locator("input[name=start]")).to_have_value((today - timedelta(days=6)).isoformat())

    page.fill("input[name=start]", today.isoformat())
    page.fill("input[name=end]", (today - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Apply dates").click()
    expect(page.locator("#attainment .alert-error")).to_contain_text("on or before the end date")

    page.go_back()
    expect(page).to_have_url(re.compile(r"\?period=7d&group=kind$"))
    expect(rows).to_have_count(4)
    assert page.evaluate("window.pageLoadMarker") == "same page"
    test_browser.screenshot(page, "sla-attainment")
