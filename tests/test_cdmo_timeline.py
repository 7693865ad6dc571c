"""The CDMO timeline: every project of the CDMO on one timeline, filtered and paged as a project's.

Communications carry their project's CDMO (a copy, for one index scan at a million rows): the
copy follows a project moved to another CDMO on every write path, and stays out of the trail.
"""

from urllib.parse import urlencode

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from engagements.models import Communication
from engagements.selectors import TIMELINE_PAGE_SIZE, communication_timeline

from .factories import (
    CDMOFactory,
    CommunicationFactory,
    ContactFactory,
    ProjectFactory,
    RequestFactory,
    minutes_ago,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(cdmo, query=""):
    return reverse("cdmo_timeline", args=[cdmo.sponsor.slug, cdmo.pk]) + query


@pytest.fixture
def second_project(project):
    return ProjectFactory(cdmo=project.cdmo, owner=project.owner, code="SEC-1", name="Second")


def _fill(project, count):
    contacts = [ContactFactory(cdmo=project.cdmo) for _ in range(3)]
    request = RequestFactory(project=project, opened_at=minutes_ago(10000))
    for index in range(count):
        communication = CommunicationFactory(project=project, occurred_at=minutes_ago(10 + index))
        communication.participants.set(contacts)
        communication.requests.add(request)


def test_it_shows_every_project_of_the_cdmo_newest_first_each_with_its_project(
    manager_client, project, second_project
):
    old = CommunicationFactory(project=project, subject="Old", occurred_at=minutes_ago(500))
    new = CommunicationFactory(project=second_project, subject="New", occurred_at=minutes_ago(5))
    elsewhere = ProjectFactory(cdmo=CDMOFactory(sponsor=project.sponsor), owner=project.owner)
    CommunicationFactory(project=elsewhere, subject="Another CDMO")
    response = manager_client.get(url(project.cdmo))
    assert response.context["entries"] == [new, old]
    body = response.content.decode()
    assert "Another CDMO" not in body
    project_url = reverse("project_detail", args=[project.sponsor.slug, second_project.pk])
    assert f'href="{project_url}#communication-{new.pk}"' in body
    assert second_project.code in body


def test_the_cdmo_page_links_to_it(manager_client, project):
    page = reverse("cdmo_detail", args=[project.sponsor.slug, project.cdmo_id])
    assert f'href="{url(project.cdmo)}"' in manager_client.get(page).content.decode()


def test_it_filters_by_channel_direction_and_text_across_projects(
    manager_client, project, second_project
):
    call = CommunicationFactory(project=project, channel="call", subject="Yield call")
    inbound = CommunicationFactory(
        project=second_project, direction="inbound", subject="CoA", summary="lot 7 yield"
    )
    CommunicationFactory(project=second_project, subject="Kick-off")

    def entries(query):
        return manager_client.get(url(project.cdmo, query), **HTMX).context["entries"]

    assert entries("?channel=call") == [call]
    assert entries("?direction=inbound") == [inbound]
    assert set(entries("?q=yield")) == {call, inbound}
    # Words as the search box finds them: other forms of the word, a phrase.
    assert set(entries("?q=yields")) == {call, inbound}
    assert entries("?" + urlencode({"q": '"lot 7"'})) == [inbound]


def test_it_pages_with_a_cursor_across_projects_and_loads_older_as_a_partial(
    manager_client, project, second_project
):
    _fill(project, TIMELINE_PAGE_SIZE)
    _fill(second_project, 5)
    first = manager_client.get(url(project.cdmo, "?direction=outbound"))
    assert len(first.context["entries"]) == TIMELINE_PAGE_SIZE
    cursor = first.context["next_cursor"]
    body = first.content.decode()
    assert "Load older" in body and 'hx-push-url="true"' in body
    older = url(project.cdmo, "?" + urlencode({"direction": "outbound", "before": cursor}))
    assert older.replace("&", "&amp;") in body  # "Load older" asks the CDMO page, filters kept
    second = manager_client.get(older, **HTMX)
    assert "<html" not in second.content.decode()
    assert 'id="timeline"' not in second.content.decode()
    assert len(second.context["entries"]) == 5
    assert second.context["next_cursor"] is None
    seen = {c.pk for c in first.context["entries"]} | {c.pk for c in second.context["entries"]}
    assert len(seen) == TIMELINE_PAGE_SIZE + 5


def test_it_answers_the_timeline_partial_to_htmx_with_vary(manager_client, project):
    CommunicationFactory(project=project, subject="Batch record")
    response = manager_client.get(url(project.cdmo, "?q=batch"), **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="timeline"') and "Batch record" in body
    assert "HX-Request" in response["Vary"]
    restore = manager_client.get(url(project.cdmo), HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in restore.content.decode()


def test_it_ignores_invalid_filters_and_cursors(manager_client, project):
    CommunicationFactory(project=project)
    for query in ["?channel=pigeon&since=notadate", "?before=nonsense", "?before=_"]:
        response = manager_client.get(url(project.cdmo, query))
        assert response.status_code == 200
        assert len(response.context["entries"]) == 1


def test_its_query_count_does_not_grow_with_the_log(
    manager_client, project, second_project, django_assert_max_num_queries
):
    # session, user, membership, CDMO, page of communications (+ logged_by, project), its
    # participants, its requests, the sponsor switcher, the unread-alerts count: 9.
    _fill(project, 2)
    _fill(second_project, 1)
    with django_assert_max_num_queries(9) as few:
        manager_client.get(url(project.cdmo))
    _fill(project, 40)
    _fill(second_project, 40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        manager_client.get(url(project.cdmo))
    with django_assert_max_num_queries(len(few.captured_queries)):
        manager_client.get(url(project.cdmo, "?q=Message"), **HTMX)


def test_it_reads_the_first_page_from_the_cdmo_index(project):
    CommunicationFactory(project=project)
    queryset = Communication.objects.filter(sponsor=project.sponsor, cdmo=project.cdmo).order_by(
        "-occurred_at", "-id"
    )[:26]
    with transaction.atomic(), connection.cursor() as cursor:
        # A handful of rows would be read sequentially; the plan at scale is the index's.
        for plan_kind in ("seqscan", "sort", "incremental_sort"):
            cursor.execute(f"SET LOCAL enable_{plan_kind} = off")
        plan = queryset.explain()
    assert "comm_cdmo_timeline" in plan
    assert "Sort" not in plan


def test_it_takes_the_communications_along_when_a_project_moves_to_another_cdmo(
    manager_client, project, manager
):
    communication = CommunicationFactory(project=project)
    assert communication.cdmo_id == project.cdmo_id
    versions = communication.history.count()
    other = CDMOFactory(sponsor=project.sponsor)
    response = manager_client.post(
        reverse("project_edit", args=[project.sponsor.slug, project.pk]),
        {
            "name": project.name,
            "code": project.code,
            "cdmo": other.pk,
            "service_type": project.service_type,
            "status": project.status,
            "owner": manager.pk,
        },
    )
    assert response.status_code == 302
    communication.refresh_from_db()
    assert communication.cdmo_id == other.pk
    assert communication_timeline(sponsor=project.sponsor, cdmo=other)[0] == [communication]
    assert communication_timeline(sponsor=project.sponsor, cdmo=project.cdmo)[0] == []
    # The copy is outside the trail: the project's version records the move.
    assert communication.history.count() == versions
    assert project.history.first().cdmo_id == other.pk


def test_it_moves_them_on_a_bulk_update_of_projects_too(project):
    communication = CommunicationFactory(project=project)
    other = CDMOFactory(sponsor=project.sponsor)
    type(project).objects.filter(pk=project.pk).update(cdmo=other, site=None, spoc=None)
    communication.refresh_from_db()
    assert communication.cdmo_id == other.pk


def test_it_refuses_a_communication_whose_cdmo_is_not_its_projects(project):
    communication = CommunicationFactory(project=project)
    other = CDMOFactory(sponsor=project.sponsor)
    with pytest.raises(IntegrityError), transaction.atomic():
        # Past every Python write path: the database's key refuses it at commit.
        Communication.objects.filter(pk=communication.pk).update_computed(cdmo=other.pk)
        connection.check_constraints()


def test_it_copies_the_cdmo_on_every_create_path(project):
    built = Communication(
        project=project,
        direction="outbound",
        occurred_at=minutes_ago(5),
        subject="Bulk",
        logged_by=project.owner,
    )
    [bulk] = Communication.objects.bulk_create([built])
    saved = CommunicationFactory(project=project)
    assert {c.cdmo_id for c in Communication.objects.filter(pk__in=[bulk.pk, saved.pk])} == {
        project.cdmo_id
    }


def test_it_keeps_the_copied_cdmo_out_of_the_trail():
    tracked = {field.name for field in Communication.history.model.tracked_fields}
    assert "cdmo" not in tracked
    assert set(Communication.computed_fields) <= set(
        Communication.history.model._history_excluded_fields
    )
