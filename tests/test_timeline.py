"""The project timeline: newest first, filters, keyset pages, a bounded number of queries."""

from datetime import timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.urls import reverse

from engagements.selectors import TIMELINE_PAGE_SIZE

from .factories import CommunicationFactory, ContactFactory, RequestFactory, minutes_ago

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(project, query=""):
    return reverse("project_detail", args=[project.sponsor.slug, project.pk]) + query


def _fill(project, count):
    contacts = [ContactFactory(cdmo=project.cdmo) for _ in range(3)]
    request = RequestFactory(project=project, opened_at=minutes_ago(10000))
    for index in range(count):
        communication = CommunicationFactory(project=project, occurred_at=minutes_ago(10 + index))
        communication.participants.set(contacts)
        communication.requests.add(request)


def test_it_lists_newest_first(manager_client, project):
    old = CommunicationFactory(project=project, subject="Old", occurred_at=minutes_ago(500))
    new = CommunicationFactory(project=project, subject="New", occurred_at=minutes_ago(5))
    entries = manager_client.get(url(project)).context["entries"]
    assert entries == [new, old]


def test_it_pages_with_a_cursor_and_loads_older_entries_as_a_partial(manager_client, project):
    _fill(project, TIMELINE_PAGE_SIZE + 5)
    first = manager_client.get(url(project))
    assert len(first.context["entries"]) == TIMELINE_PAGE_SIZE
    cursor = first.context["next_cursor"]
    assert cursor and "Load older" in first.content.decode()
    second = manager_client.get(url(project, "?" + urlencode({"before": cursor})), **HTMX)
    body = second.content.decode()
    assert "<html" not in body and 'id="timeline"' not in body
    assert len(second.context["entries"]) == 5
    assert second.context["next_cursor"] is None
    seen = {c.pk for c in first.context["entries"]} | {c.pk for c in second.context["entries"]}
    assert len(seen) == TIMELINE_PAGE_SIZE + 5


def test_it_ignores_a_malformed_cursor(manager_client, project):
    CommunicationFactory(project=project)
    for bad in ["nonsense", "2026-01-01_x", "_", "2026-13-45T00:00:00+00:00_1", "12345"]:
        response = manager_client.get(url(project, f"?before={bad}"))
        assert response.status_code == 200
        assert len(response.context["entries"]) == 1


def test_it_filters_by_channel_direction_text_and_dates(manager_client, project):
    call = CommunicationFactory(project=project, channel="call", subject="Yield call")
    inbound = CommunicationFactory(
        project=project, direction="inbound", subject="CoA attached", summary="lot 7 yield"
    )
    old = CommunicationFactory(
        project=project, subject="Kick-off", occurred_at=minutes_ago(60 * 24 * 40)
    )

    def entries(query):
        return manager_client.get(url(project, query), **HTMX).context["entries"]

    assert entries("?channel=call") == [call]
    assert entries("?direction=inbound") == [inbound]
    assert set(entries("?q=yield")) == {call, inbound}
    # Dates are the user's (Europe/Berlin): late in a UTC day the local date is the next one.
    old_date = old.occurred_at.astimezone(ZoneInfo("Europe/Berlin")).date()
    since = (old_date + timedelta(days=1)).isoformat()
    assert old not in entries(f"?since={since}")
    assert entries(f"?until={old_date.isoformat()}") == [old]


def test_it_ignores_invalid_filters_instead_of_failing(manager_client, project):
    CommunicationFactory(project=project)
    response = manager_client.get(url(project, "?channel=pigeon&since=notadate&direction=x"))
    assert response.status_code == 200


def test_it_answers_the_timeline_partial_to_htmx_with_vary(manager_client, project):
    response = manager_client.get(url(project, "?q=x"), **HTMX)
    assert 'id="timeline"' in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_it_renders_the_full_page_on_history_restore(manager_client, project):
    response = manager_client.get(url(project), HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in response.content.decode()


def test_it_marks_backdated_entries(manager_client, project):
    CommunicationFactory(project=project, occurred_at=minutes_ago(60 * 24 * 3))
    assert "backdated" in manager_client.get(url(project)).content.decode()


def test_its_query_count_does_not_grow_with_the_log(
    manager_client, project, django_assert_max_num_queries
):
    # session, user, membership, project (+joins), page of communications, its participants,
    # its requests, contacts, open requests and paused requests for the form, the project's
    # open requests with their next due time, the sponsor switcher, the unread-alerts count: 13.
    _fill(project, 3)
    with django_assert_max_num_queries(13) as few:
        manager_client.get(url(project))
    _fill(project, 60)
    with django_assert_max_num_queries(len(few.captured_queries)):
        manager_client.get(url(project))
    with django_assert_max_num_queries(len(few.captured_queries)):
        manager_client.get(url(project, "?q=Message"), **HTMX)


def test_it_answers_the_project_facts_to_their_own_refresh(manager_client, project):
    response = manager_client.get(url(project), HTTP_HX_TARGET="project-facts", **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="project-facts"')
    assert 'id="timeline"' not in body
