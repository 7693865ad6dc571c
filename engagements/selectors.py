"""Reads shared by views: keyword-only, with the sponsor as an explicit argument."""

from datetime import UTC, datetime, time, timedelta

from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone

from .models import CDMO, Communication, Project, Request
from .search import communications_with_words

TIMELINE_PAGE_SIZE = 25


def encode_cursor(communication):
    return f"{communication.occurred_at.isoformat()}_{communication.pk}"


def decode_cursor(value):
    """(occurred_at, id) from a cursor, or None for a missing or malformed one."""
    try:
        stamp, pk = value.replace(" ", "+").rsplit("_", 1)
        occurred_at = datetime.fromisoformat(stamp)
        if timezone.is_naive(occurred_at):
            return None
        # In UTC, as the database compares it: year 1 at +05:00 has no UTC date (OverflowError).
        return occurred_at.astimezone(UTC), int(pk)
    except (AttributeError, ValueError, OverflowError):
        return None


def communication_timeline(*, sponsor, project=None, cdmo=None, filters=None, before=None):
    """One page of a project's communications — or a CDMO's, across all its projects — newest
    first, and the cursor of the next page.

    Keyset pagination on (occurred_at, id): constant cost however deep the user scrolls. Each
    scope reads one index in order: comm_timeline (sponsor, project, ...) or comm_cdmo_timeline
    (sponsor, cdmo, ...), the CDMO that each communication carries from its project.
    """
    if (project is None) == (cdmo is None):
        raise TypeError("communication_timeline() takes a project or a CDMO, not both.")
    filters = filters or {}
    if project is not None:
        queryset = Communication.objects.filter(sponsor=sponsor, project=project)
        queryset = queryset.select_related("logged_by")
    else:
        queryset = Communication.objects.filter(sponsor=sponsor, cdmo=cdmo)
        queryset = queryset.select_related("logged_by", "project")
    queryset = (
        queryset.defer("search_document")  # the search's; no use on a page
        .prefetch_related("participants", "requests")
        .order_by("-occurred_at", "-id")
    )
    if filters.get("channel"):
        queryset = queryset.filter(channel=filters["channel"])
    if filters.get("direction"):
        queryset = queryset.filter(direction=filters["direction"])
    zone = timezone.get_current_timezone()
    if filters.get("since"):
        queryset = queryset.filter(
            occurred_at__gte=datetime.combine(filters["since"], time.min, tzinfo=zone)
        )
    if filters.get("until"):
        queryset = queryset.filter(
            occurred_at__lte=datetime.combine(filters["until"], time.max, tzinfo=zone)
        )
    if filters.get("q"):
        # Words, as the search box finds them (full-text on PostgreSQL, substring elsewhere).
        queryset = communications_with_words(queryset, filters["q"])
    cursor = decode_cursor(before) if before else None
    if cursor:
        occurred_at, pk = cursor
        queryset = queryset.filter(
            Q(occurred_at__lt=occurred_at) | Q(occurred_at=occurred_at, id__lt=pk)
        )
    page = list(queryset[: TIMELINE_PAGE_SIZE + 1])
    next_cursor = (
        encode_cursor(page[TIMELINE_PAGE_SIZE - 1]) if len(page) > TIMELINE_PAGE_SIZE else None
    )
    return page[:TIMELINE_PAGE_SIZE], next_cursor


def project_list(*, sponsor, owner=None, status=None, cdmo=None):
    queryset = (
        Project.objects.filter(sponsor=sponsor)
        .select_related("cdmo", "owner", "spoc", "activity")
        .annotate(
            open_request_count=Count(
                "requests", filter=Q(requests__status__in=Request.OPEN_STATUSES)
            )
        )
    )
    if owner is not None:
        queryset = queryset.filter(owner=owner)
    if status:
        queryset = queryset.filter(status=status)
    if cdmo is not None:
        queryset = queryset.filter(cdmo=cdmo)
    return queryset.order_by("code")


def cdmo_list(*, sponsor, status=None):
    queryset = CDMO.objects.filter(sponsor=sponsor).annotate(
        project_count=Count("projects", distinct=True),
        last_contact_at=Max("projects__activity__last_contact_at"),
        site_count=Count("sites", distinct=True),
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("name")


OPEN_CLOCK = Q(clocks__stopped_at__isnull=True, clocks__state__in=["running", "breached"])


def open_request_list(*, sponsor, owner=None, project=None, limit=None):
    """Open requests with their next due time and open breaches, soonest due first."""
    queryset = (
        Request.objects.filter(sponsor=sponsor, status__in=Request.OPEN_STATUSES)
        .select_related("project", "project__cdmo")
        .annotate(
            next_due_at=Min("clocks__due_at", filter=OPEN_CLOCK),
            breached_open=Count("clocks", filter=Q(OPEN_CLOCK, clocks__state="breached")),
        )
        .order_by(F("next_due_at").asc(nulls_last=True), "opened_at", "id")
    )
    if owner is not None:
        queryset = queryset.filter(project__owner=owner)
    if project is not None:
        queryset = queryset.filter(project=project)
    return queryset[:limit] if limit else queryset


def open_requests_in_state(queryset, state, *, now, hours=24):
    """Open requests narrowed to a clock state: running, paused, breached, due_soon (within
    `hours`). The Open requests page and the Alerts page count with this one rule."""
    if state == "running":
        return queryset.filter(status=Request.Status.OPEN, clocks__state="running").distinct()
    if state == "paused":
        return queryset.filter(status=Request.Status.WAITING_ON_SPONSOR)
    if state == "breached":
        return queryset.filter(breached_open__gt=0)
    if state == "due_soon":
        return queryset.filter(
            clocks__state="running", clocks__due_at__lte=now + timedelta(hours=hours)
        ).distinct()
    return queryset


def recent_communications(*, sponsor, owner=None, limit=10):
    queryset = Communication.objects.filter(sponsor=sponsor).select_related(
        "project", "project__cdmo", "logged_by"
    )
    if owner is not None:
        queryset = queryset.filter(project__owner=owner)
    return queryset.order_by("-occurred_at", "-id")[:limit]
