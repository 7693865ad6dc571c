"""The facts people type in and the terms they configure.

`log`: sponsors, memberships, CDMOs, sites, contacts, projects, requests, communications,
pauses, request events. `people`: invitations and sign-in rules. `terms`: business calendars and
versioned SLA policies.
"""

from .log import (
    CDMO,
    WRITE_ROLES,
    Communication,
    Contact,
    Membership,
    Pause,
    Project,
    Request,
    RequestEvent,
    Role,
    Site,
    Sponsor,
    SponsorOwned,
    SponsorQuerySet,
)
from .people import Invitation, SponsorSecurityPolicy
from .terms import (
    BusinessCalendar,
    CalendarKind,
    EscalationRole,
    PolicyTarget,
    PolicyVersion,
    SLAPolicy,
    default_weekly,
)

__all__ = [
    "CDMO",
    "WRITE_ROLES",
    "BusinessCalendar",
    "CalendarKind",
    "Communication",
    "Contact",
    "EscalationRole",
    "Invitation",
    "Membership",
    "Pause",
    "PolicyTarget",
    "PolicyVersion",
    "Project",
    "Request",
    "RequestEvent",
    "Role",
    "SLAPolicy",
    "Site",
    "Sponsor",
    "SponsorSecurityPolicy",
    "SponsorOwned",
    "SponsorQuerySet",
    "default_weekly",
]
