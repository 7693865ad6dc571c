"""The search box: the sponsor's CDMOs, projects, requests and communications that match a text.

On PostgreSQL, the words of communications (subject and summary, through their stored
search document) and requests (title) are found by full-text search — English stemming and
web-search syntax ("a phrase", -word, or) — and names (CDMO names, project names and codes)
by substring or trigram word similarity, so that "Lonsa" still finds Lonza. Each query can
read a GIN index that starts with the sponsor; the expressions below are the indexes' own
(migration 0008). Elsewhere (SQLite, the demo) a case-insensitive substring match stands in.

Every query is filtered on the sponsor first. Communications and requests come newest first,
names best match first. The overview shows a few rows of each kind and a count of the rest
capped at COUNT_CAP; one kind is listed in pages of PAGE_SIZE up to MAX_PAGE. Either way the
number and cost of the queries do not grow with the data.
"""

from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchVector, TrigramWordSimilarity
from django.db import connections
from django.db.models import Count, F, Q, Window
from django.db.models.functions import Left, Upper

from .models import CDMO, Communication, Project, Request
from .models.fields import SEARCH_CONFIG

KINDS = {
    "cdmos": "CDMOs",
    "projects": "Projects",
    "requests": "Requests",
    "communications": "Communications",
}
NAMED_KINDS = {"cdmos", "projects"}  # found by name, best match first
PREVIEW = 5
PAGE_SIZE = 25
MAX_PAGE = 40
COUNT_CAP = 100
SNIPPET_LENGTH = 240


@dataclass
class Group:
    """The results of one kind: the rows shown, and how many more there are (or a next page)."""

    kind: str
    rows: list
    more: int = 0  # beyond the rows shown, counted up to COUNT_CAP
    more_capped: bool = False  # there are more than that
    page: int = 1
    has_next: bool = False

    @property
    def label(self):
        return KINDS[self.kind]


def search(*, sponsor, text, kind=None, page=1):
    """The groups of results for `text`: each kind with a preview, or one kind, paged."""
    if kind is not None:
        offset = (page - 1) * PAGE_SIZE
        rows = list(_matches(kind, sponsor, text)[offset : offset + PAGE_SIZE + 1])
        return [
            Group(kind, rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE),
        ]
    groups = []
    for name in KINDS:
        matches = _matches(name, sponsor, text)
        if name in NAMED_KINDS:
            # Ranked by similarity, every match is scored anyway: counted in the same query.
            rows = list(matches.annotate(total=Window(Count("pk")))[:PREVIEW])
            total = rows[0].total if rows else 0
        else:
            rows = list(matches[: PREVIEW + 1])
            # The rest, counted no further than the cap: a common word costs no more.
            total = matches.order_by()[: COUNT_CAP + 1].count() if len(rows) > PREVIEW else 0
        group = Group(name, rows[:PREVIEW])
        if total > PREVIEW:
            group.more = min(total, COUNT_CAP) - PREVIEW
            group.more_capped = total > COUNT_CAP
        groups.append(group)
    return groups


def _matches(kind, sponsor, text):
    if kind == "cdmos":
        return _names(CDMO.objects.filter(sponsor=sponsor), text, "name")
    if kind == "projects":
        projects = Project.objects.filter(sponsor=sponsor).select_related("cdmo")
        # A code is an identifier: its substring, not its look-alikes (BF-0042 is no BF-0043).
        return _names(projects, text, "name", also_containing=["code"])
    if kind == "requests":
        requests = Request.objects.filter(sponsor=sponsor).select_related("project")
        return _words(requests, text, ["title"], _document(kind)).order_by("-opened_at", "-id")
    if kind == "communications":
        communications = (
            Communication.objects.filter(sponsor=sponsor)
            .select_related("project", "cdmo")
            # The start of a summary is enough to show; a summary may be 20,000 characters.
            .defer("summary", "search_document")
            .annotate(summary_start=Left("summary", SNIPPET_LENGTH))
        )
        matches = _words(communications, text, ["subject", "summary"], _document(kind))
        return matches.order_by("-occurred_at", "-id")
    raise ValueError(f"No such kind of result: {kind!r}")


def communications_with_words(queryset, text):
    """The communications of `queryset` whose subject or summary hold the words of `text`.

    The timelines' text filter: at a million rows a substring scan of a CDMO's summaries
    takes half a second, the search document's index a millisecond.
    """
    return _words(queryset, text, ["subject", "summary"], _document("communications"))


def _document(kind):
    """The tsvector that the full-text search of a kind matches, as its GIN index holds it."""
    if kind == "communications":
        return F("search_document")  # stored, computed by the database
    return SearchVector("title", config=SEARCH_CONFIG)


def _on_postgresql(queryset):
    return connections[queryset.db].vendor == "postgresql"


def _substring(fields, text):
    match = Q()
    for field in fields:
        match |= Q(**{f"{field}__icontains": text})
    return match


def _names(queryset, text, field, also_containing=()):
    """Rows whose `field` (a name) contains the text or has a word like it, best match first;
    or whose `also_containing` fields contain it."""
    contains = _substring([field, *also_containing], text)
    if not _on_postgresql(queryset):
        return queryset.filter(contains).order_by(field)
    # UPPER(name), as the trigram index holds it: icontains compiles to UPPER(name) LIKE ….
    similar = Q(upper_name__trigram_word_similar=text)
    return (
        queryset.alias(upper_name=Upper(field))
        .filter(contains | similar)
        .alias(similarity=TrigramWordSimilarity(text, Upper(field)))
        .order_by("-similarity", field)
    )


def _words(queryset, text, fields, document):
    """Rows whose `fields` hold the words asked for: full-text search of their `document`
    (a tsvector) on PostgreSQL, a substring of the fields elsewhere."""
    if not _on_postgresql(queryset):
        return queryset.filter(_substring(fields, text))
    query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
    return queryset.alias(document=document).filter(document=query)
