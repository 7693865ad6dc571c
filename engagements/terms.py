"""The SLA terms a request lives by: which policy version, which calendar, as pure values.

A request keeps the policy version in force when it opened and a snapshot of its calendar
(SPEC §3 edge 11), so editing a policy or calendar never moves history. `calendar_from` is the
one conversion of a stored calendar (a snapshot, or a sponsor calendar's fields) into the pure
`Calendar` the clock arithmetic takes.
"""

from datetime import date

from scorecards.api import ALWAYS_OPEN, Calendar, stored_week

from .models import CalendarKind, PolicyVersion, SLAPolicy


def policy_version_for(project, at):
    """The version of the project's policy (or the sponsor default) in force at `at`."""
    policy_id = project.sla_policy_id or (
        SLAPolicy.objects.filter(sponsor_id=project.sponsor_id, is_default=True)
        .values_list("id", flat=True)
        .first()
    )
    if policy_id is None:
        return None
    versions = PolicyVersion.objects.filter(sponsor_id=project.sponsor_id, policy_id=policy_id)
    return (
        versions.filter(effective_from__lte=at).order_by("-effective_from").first()
        or versions.order_by("effective_from").first()
    )


def calendar_fields(calendar):
    """A sponsor calendar (a BusinessCalendar) as snapshot data."""
    return {
        "time_zone": calendar.time_zone,
        "weekly": calendar.weekly or stored_week(),
        "country": calendar.country,
        "subdivision": calendar.subdivision,
        "closed_dates": list(calendar.closed_dates or []),
    }


def calendar_snapshot(version, project):
    """The calendar a request will keep for life, as plain data."""
    if version is None or version.calendar_kind == CalendarKind.ALWAYS:
        return {"always_open": True, "time_zone": "UTC"}
    if version.calendar_kind == CalendarKind.SPONSOR:
        return calendar_fields(version.calendar)
    site = project.site
    if site is None:  # no site recorded: the CDMO's week in UTC, no holidays
        return {"time_zone": "UTC", "weekly": stored_week()}
    return {
        "time_zone": site.time_zone,
        "weekly": stored_week(),
        "country": site.country,
        "subdivision": site.subdivision,
    }


def calendar_from(snapshot):
    """The pure Calendar of a snapshot; ValueError when the stored data cannot be one."""
    if not snapshot or snapshot.get("always_open"):
        return ALWAYS_OPEN
    weekly = snapshot.get("weekly") or stored_week()
    return Calendar(
        time_zone=snapshot["time_zone"],
        weekly=tuple(tuple((int(a), int(b)) for a, b in day) for day in weekly),
        country=snapshot.get("country", ""),
        subdivision=snapshot.get("subdivision", ""),
        closed_dates=frozenset(date.fromisoformat(d) for d in snapshot.get("closed_dates", [])),
    )
