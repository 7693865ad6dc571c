"""The search box: CDMOs, projects, requests and communications of the sponsor, by name or word.

On PostgreSQL (as the suite runs): full-text search for words, trigram similarity for names,
each through its GIN index; the SQLite demo's substring fallback is checked on the queries.
"""

import json
import os
import subprocess
import sys
from itertools import count
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.urls import reverse

from engagements import search
from engagements.models import CDMO, Communication, Project, Request

from .factories import (
    CDMOFactory,
    CommunicationFactory,
    ProjectFactory,
    RequestFactory,
    minutes_ago,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(sponsor, **query):
    return reverse("search", args=[sponsor.slug]) + ("?" + urlencode(query) if query else "")


def found(response, kind):
    groups = {group.kind: group for group in response.context["groups"]}
    return groups[kind].rows if kind in groups else []


@pytest.fixture
def portfolio(sponsor, manager):
    """A CDMO, its project, a request and a communication, each with a word of its own."""
    cdmo = CDMOFactory(sponsor=sponsor, name="Lonza Biologics")
    project = ProjectFactory(cdmo=cdmo, owner=manager, name="Helix antibody", code="HX-101")
    request = RequestFactory(project=project, title="Stability data for the deviation report")
    communication = CommunicationFactory(
        project=project,
        subject="Weekly call",
        summary="They confirmed the chromatography resin shortage; a new supplier is qualified.",
    )
    return {"cdmo": cdmo, "project": project, "request": request, "communication": communication}


def test_it_finds_each_kind_and_links_to_its_page(manager_client, sponsor, portfolio):
    cdmo, project = portfolio["cdmo"], portfolio["project"]
    communication = portfolio["communication"]
    assert found(manager_client.get(url(sponsor, q="lonza")), "cdmos") == [cdmo]
    assert found(manager_client.get(url(sponsor, q="hx-101")), "projects") == [project]
    assert found(manager_client.get(url(sponsor, q="stability")), "requests") == [
        portfolio["request"]
    ]
    response = manager_client.get(url(sponsor, q="resin"))
    assert found(response, "communications") == [communication]
    body = response.content.decode()
    day = communication.occurred_at.astimezone(ZoneInfo("Europe/Berlin")).date()  # the user's
    link = reverse("project_detail", args=[sponsor.slug, project.pk])
    assert f'href="{link}?until={day:%Y-%m-%d}#communication-{communication.pk}"' in body
    for name, pk, words in [
        ("cdmo_detail", cdmo.pk, "lonza"),
        ("project_detail", project.pk, "helix"),
        ("request_detail", portfolio["request"].pk, "deviation"),
    ]:
        page = manager_client.get(url(sponsor, q=words)).content.decode()
        assert f'href="{reverse(name, args=[sponsor.slug, pk])}"' in page, name


def test_it_finds_names_despite_a_typo_and_words_in_any_form(manager_client, sponsor, portfolio):
    assert found(manager_client.get(url(sponsor, q="Lonsa Biologics")), "cdmos") == [
        portfolio["cdmo"]
    ]
    assert found(manager_client.get(url(sponsor, q="antibdy")), "projects") == [
        portfolio["project"]
    ]
    # Stemming: the plural and another form of the word find it.
    assert found(manager_client.get(url(sponsor, q="deviations")), "requests") == [
        portfolio["request"]
    ]
    assert found(manager_client.get(url(sponsor, q="qualifying")), "communications") == [
        portfolio["communication"]
    ]
    # Web-search syntax: a phrase, an excluded word.
    assert found(manager_client.get(url(sponsor, q='"resin shortage"')), "communications")
    assert not found(manager_client.get(url(sponsor, q="resin -supplier")), "communications")


def test_it_never_shows_another_sponsors_rows(manager_client, sponsor, portfolio, other_sponsor):
    theirs = ProjectFactory(cdmo__sponsor=other_sponsor, cdmo__name="Lonza AG", code="HX-1010")
    RequestFactory(project=theirs, title="Stability data too")
    CommunicationFactory(project=theirs, subject="Resin", summary="resin shortage")
    for words in ["lonza", "hx-101", "stability", "resin"]:
        response = manager_client.get(url(sponsor, q=words))
        rows = [row for group in response.context["groups"] for row in group.rows]
        assert rows and {row.sponsor_id for row in rows} == {sponsor.pk}, words
        assert all(group.more == 0 for group in response.context["groups"])
        for kind in search.KINDS:
            listed = manager_client.get(url(sponsor, q=words, kind=kind))
            assert {row.sponsor_id for row in found(listed, kind)} <= {sponsor.pk}


def test_it_shows_a_few_of_each_kind_and_links_to_all_of_them(manager_client, sponsor, project):
    for index in range(search.PREVIEW + 2):
        CommunicationFactory(project=project, subject=f"Filter change {index}")
    response = manager_client.get(url(sponsor, q="filter"))
    group = next(g for g in response.context["groups"] if g.kind == "communications")
    assert len(group.rows) == search.PREVIEW and group.more == 2 and not group.more_capped
    body = response.content.decode()
    assert 'href="?q=filter&amp;kind=communications">2 more Communications</a>' in body
    listed = manager_client.get(url(sponsor, q="filter", kind="communications"))
    assert len(found(listed, "communications")) == search.PREVIEW + 2
    assert [g.kind for g in listed.context["groups"]] == ["communications"]


def test_it_counts_the_rest_of_the_names_too(manager_client, sponsor):
    for index in range(search.PREVIEW + 3):
        CDMOFactory(sponsor=sponsor, name=f"Filtration Works {index}")
    response = manager_client.get(url(sponsor, q="filtration"))
    group = next(g for g in response.context["groups"] if g.kind == "cdmos")
    assert len(group.rows) == search.PREVIEW and group.more == 3
    assert "3 more CDMOs" in response.content.decode()


def test_it_counts_the_rest_only_up_to_a_cap(manager_client, sponsor, project):
    Communication.objects.bulk_create(
        Communication(
            project=project,
            direction="outbound",
            occurred_at=minutes_ago(index + 1),
            subject="Filter change",
            logged_by=project.owner,
        )
        for index in range(search.COUNT_CAP + 5)
    )
    response = manager_client.get(url(sponsor, q="filter"))
    group = next(g for g in response.context["groups"] if g.kind == "communications")
    assert group.more == search.COUNT_CAP - search.PREVIEW and group.more_capped
    assert f"{search.COUNT_CAP - search.PREVIEW}+ more" in response.content.decode()


def test_it_lists_one_kind_in_pages_newest_first(manager_client, sponsor, project):
    made = [
        CommunicationFactory(project=project, subject="Resin", occurred_at=minutes_ago(index + 1))
        for index in range(search.PAGE_SIZE + 2)
    ]
    first = manager_client.get(url(sponsor, q="resin", kind="communications"))
    assert found(first, "communications") == made[: search.PAGE_SIZE]
    assert "page=2" in first.content.decode()
    second = manager_client.get(url(sponsor, q="resin", kind="communications", page=2))
    assert found(second, "communications") == made[search.PAGE_SIZE :]
    assert not second.context["groups"][0].has_next


def test_its_query_count_does_not_grow_with_the_data(
    manager_client, sponsor, project, django_assert_max_num_queries
):
    # session, user, membership; per kind its first rows (CDMOs and projects with their
    # count in the same query), a capped count for requests and communications with more than
    # a preview of them; the sponsor switcher, the unread-alerts count: 11 at most.
    numbers = count()

    def add(rows):
        for index in (next(numbers) for _ in range(rows)):
            CDMOFactory(sponsor=sponsor, name=f"Resin Works {index}")
            ProjectFactory(cdmo=project.cdmo, owner=project.owner, name=f"Resin {index}")
            RequestFactory(project=project, title=f"Resin lot {index}")
            CommunicationFactory(project=project, subject=f"Resin {index}")

    add(1)
    with django_assert_max_num_queries(9):
        manager_client.get(url(sponsor, q="resin"))
    add(search.PREVIEW + 3)
    with django_assert_max_num_queries(11) as many:
        manager_client.get(url(sponsor, q="resin"))
    add(20)
    with django_assert_max_num_queries(len(many.captured_queries)):
        manager_client.get(url(sponsor, q="resin"))
    with django_assert_max_num_queries(len(many.captured_queries)):
        manager_client.get(url(sponsor, q="resin"), **HTMX)
    # One kind, one page: session, user, membership, its rows, switcher, alerts.
    with django_assert_max_num_queries(6):
        manager_client.get(url(sponsor, q="resin", kind="projects", page=2))


def test_it_answers_the_results_partial_to_htmx_with_vary(manager_client, sponsor, portfolio):
    response = manager_client.get(url(sponsor, q="resin"), **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="search-results">') and "Weekly call" in body
    assert "<html" not in body
    assert "HX-Request" in response["Vary"]
    restore = manager_client.get(
        url(sponsor, q="resin"), HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX
    )
    assert "<html" in restore.content.decode()
    page = manager_client.get(url(sponsor, q="resin")).content.decode()
    assert 'hx-push-url="true"' in page and 'hx-target="#search-results"' in page


def test_it_asks_for_words_on_an_empty_query_and_searches_nothing(
    manager_client, sponsor, portfolio, django_assert_max_num_queries
):
    for query in ({}, {"q": ""}, {"q": "   "}):
        # session, user, membership, the sponsor switcher, the unread-alerts count.
        with django_assert_max_num_queries(5):
            response = manager_client.get(url(sponsor, **query))
        assert response.status_code == 200
        assert response.context["groups"] == []
        assert "Find CDMOs and projects by name" in response.content.decode()


def test_it_says_so_when_nothing_matches(manager_client, sponsor, portfolio):
    response = manager_client.get(url(sponsor, q="<b>zebrafish</b>"))
    body = response.content.decode()
    assert "Nothing matches “&lt;b&gt;zebrafish&lt;/b&gt;”." in body


@pytest.mark.parametrize(
    "query",
    [
        {"q": "x" * 100_000},
        {"q": "resin\x00"},
        {"q": "\x00"},
        {"q": "resin", "page": "0"},
        {"q": "resin", "page": "99999999999999999999"},
        {"q": "resin", "page": "abc"},
        {"q": "resin", "kind": "users"},
        {"q": "!!! & | <-> :* ( ) \\ ' \" -- %_"},
        {"q": "\"unbalanced 'quotes"},
        {"q": "or or or -"},
        {"q": "the and of"},
        {"q": "\u202e\ufeff\U0001f9ea"},
        {"q": "%"},
    ],
)
def test_it_answers_hostile_input_with_a_page_never_an_error(
    manager_client, sponsor, portfolio, query
):
    response = manager_client.get(url(sponsor, **query))
    assert response.status_code == 200
    groups = response.context["groups"]
    assert all(row.sponsor_id == sponsor.pk for group in groups for row in group.rows)
    assert manager_client.get(url(sponsor, **query), **HTMX).status_code == 200


def test_it_explains_a_refused_query(manager_client, sponsor, portfolio):
    long = manager_client.get(url(sponsor, q="x" * 201)).content.decode()
    assert "Ensure this value has at most 200 characters" in long
    nul = manager_client.get(url(sponsor, q="resin\x00"), **HTMX).content.decode()
    assert "Null characters are not allowed" in nul
    deep = manager_client.get(url(sponsor, q="resin", kind="communications", page=999))
    assert "narrow the search" in deep.content.decode()


def test_it_finds_the_percent_sign_literally(manager_client, sponsor, project):
    CDMOFactory(sponsor=sponsor, name="Hundred Percent Bio")
    CDMOFactory(sponsor=sponsor, name="100% Bio")
    assert [c.name for c in found(manager_client.get(url(sponsor, q="100%")), "cdmos")] == [
        "100% Bio"
    ]


def test_the_top_bar_has_the_search_box(manager_client, sponsor):
    body = manager_client.get(reverse("my_work", args=[sponsor.slug])).content.decode()
    form = (
        '<form class="nav-search" role="search" aria-label="Quick search" method="get" '
        f'action="{url(sponsor)}">'
    )
    assert form in body


@pytest.mark.parametrize(
    "kind, index",
    [
        ("cdmos", "cdmo_name_trigram"),
        ("projects", "project_name_code_trigram"),
        ("requests", "request_title_search"),
        ("communications", "comm_search_document"),
    ],
)
def test_each_kind_matches_with_its_search_index(portfolio, kind, index):
    # The match alone (no sponsor, whose own index a planner would take on so few rows), and
    # no sequential scan: the expression queried is the index's (the benchmark shows the plans
    # of the whole queries at scale).
    model, fields = {
        "cdmos": (CDMO, ["name"]),
        "projects": (Project, ["name", "code"]),
        "requests": (Request, ["title"]),
        "communications": (Communication, ["subject", "summary"]),
    }[kind]
    if kind in ("cdmos", "projects"):
        also = ["code"] if kind == "projects" else []
        queryset = search._names(model.objects.all(), "lonza resin", "name", also)
    else:
        queryset = search._words(model.objects.all(), "resin", fields, search._document(kind))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert index in plan, plan


# The demo runs on SQLite: migrate a fresh file, then search, move a project, read a timeline.
SQLITE_PROBE = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from accounts.models import User
from engagements import search, selectors
from engagements.models import CDMO, Communication, Project, Request, Sponsor
from django.utils import timezone
sponsor = Sponsor.objects.create(name="Demo", slug="demo")
owner = User.objects.create(username="pm")
lonza, other = (CDMO.objects.create(sponsor=sponsor, name=n) for n in ("Lonza Biologics", "Else"))
project = Project.objects.create(cdmo=lonza, name="Helix", code="HX-101", owner=owner,
                                 service_type="analytical")
Request.objects.create(project=project, title="Stability data", opened_at=timezone.now(),
                       opened_by=owner)
Communication.objects.create(project=project, direction="inbound", occurred_at=timezone.now(),
                             subject="Weekly call", summary="the resin shortage", logged_by=owner)
found = {}
for text in ("lonza", "hx-1", "stability", "RESIN", "100%"):
    for group in search.search(sponsor=sponsor, text=text):
        found.setdefault(text, {})[group.kind] = [str(row) for row in group.rows]
project.cdmo = other
project.save()
moved = selectors.communication_timeline(sponsor=sponsor, cdmo=other)[0]
print(json.dumps({"found": found, "moved": [c.subject for c in moved]}))
"""


def test_on_sqlite_the_demo_falls_back_to_substrings_and_moves_communications(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env |= {"DJANGO_SETTINGS_MODULE": "cdmo_portal.settings.local"}
    env |= {"SQLITE_PATH": str(tmp_path / "demo.sqlite3")}
    result = subprocess.run(  # noqa: S603  (our own interpreter and script)
        [sys.executable, "-c", SQLITE_PROBE],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["found"]["lonza"]["cdmos"] == ["Lonza Biologics"]
    assert probe["found"]["hx-1"]["projects"] == ["HX-101 · Helix"]
    assert probe["found"]["stability"]["requests"] == ["Stability data"]
    assert probe["found"]["RESIN"]["communications"] == ["Weekly call"]
    assert not any(probe["found"]["100%"].values())
    assert probe["moved"] == ["Weekly call"]
