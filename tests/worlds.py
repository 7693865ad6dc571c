"""A sponsor's rows, one of each kind the URLs take an id of (the keys of SPONSOR_URLS' sources).

The tenancy crawl fills URLs with an outsider's world; the access matrix and the hostile-input
fuzzing fill them with the member's own, so every page answers with real content.
"""

from django.utils import timezone

from engagements.models import BusinessCalendar, PolicyTarget, PolicyVersion, SLAPolicy

from .factories import (
    CommunicationFactory,
    ContactFactory,
    InvitationFactory,
    MembershipFactory,
    ProjectFactory,
    RequestFactory,
)


def sponsor_world(sponsor, owner):
    """A CDMO with a site and contacts, a project owned by `owner`, an open request with an
    attached communication, a business calendar and a default SLA policy with one version."""
    calendar = BusinessCalendar.objects.create(
        sponsor=sponsor, name=f"{sponsor.slug} hours", time_zone="Europe/Zurich", country="CH"
    )
    policy = SLAPolicy.objects.create(sponsor=sponsor, name="Standard terms", is_default=True)
    spare = SLAPolicy.objects.create(sponsor=sponsor, name="Spare terms")
    version = PolicyVersion.objects.create(
        sponsor=sponsor,
        policy=policy,
        number=1,
        effective_from=timezone.now() - timezone.timedelta(days=365),
        calendar_kind="sponsor",
        calendar=calendar,
        warning_lead_minutes=60,
        escalation_steps=[{"after_minutes": 240, "role": "owner"}],
        created_by=owner,
    )
    PolicyTarget.objects.create(
        sponsor=sponsor,
        version=version,
        category="question",
        priority="normal",
        first_response_minutes=480,
        resolution_minutes=4800,
    )
    project = ProjectFactory(cdmo__sponsor=sponsor, owner=owner, sla_policy=policy)
    contact = ContactFactory(cdmo=project.cdmo)
    request = RequestFactory(project=project, policy_version=version)
    communication = CommunicationFactory(project=project)
    communication.requests.add(request)
    communication.participants.add(contact)
    return {
        "membership": MembershipFactory(sponsor=sponsor, role="viewer"),
        "invitation": InvitationFactory(sponsor=sponsor, invited_by=owner),
        "sponsor": sponsor,
        "user": owner,
        "cdmo": project.cdmo,
        "site": project.site,
        "contact": contact,
        "project": project,
        "request": request,
        "communication": communication,
        "calendar": calendar,
        "policy": policy,
        "spare_policy": spare,
        "version": version,
    }
