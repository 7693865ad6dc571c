"""Load the demo portfolio: sponsor "Helix Bio", its users, 6 CDMOs, 20 projects, 6 months of log.

Deterministic and idempotent: an existing demo sponsor is left as it is unless --reset.
"""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from audit.trail import AuditedCommand
from engagements.models import (
    CDMO,
    CalendarKind,
    Communication,
    Contact,
    Membership,
    Pause,
    PolicyTarget,
    PolicyVersion,
    Project,
    Request,
    RequestEvent,
    Role,
    Site,
    SLAPolicy,
    Sponsor,
)
from engagements.terms import calendar_snapshot, policy_version_for
from scorecards.api import compute_now

DEMO_PASSWORD = "helix-demo-2026"  # noqa: S105 - printed in the README for the demo only
USERS = [
    ("maria", "Maria", "Keller", Role.MANAGER, "Europe/Berlin"),
    ("alice", "Alice", "Okafor", Role.ADMIN, "Europe/London"),
    ("erik", "Erik", "Lund", Role.EXECUTIVE, "America/New_York"),
    ("victor", "Victor", "Hale", Role.VIEWER, "Europe/London"),
]
CDMOS = [
    (
        "Alpine Biologics",
        "mAbs, bispecifics",
        "Process development, clinical manufacturing",
        ("Visp", "CH", "VS", "Europe/Zurich"),
    ),
    (
        "Rheinwerk Pharma Services",
        "mAbs, ADCs",
        "Analytical, tech transfer",
        ("Mannheim", "DE", "BW", "Europe/Berlin"),
    ),
    (
        "Carolina Fill-Finish",
        "Biologics, vaccines",
        "Fill-finish",
        ("Durham", "US", "NC", "America/New_York"),
    ),
    (
        "Kestrel Cell Therapy",
        "Cell therapy, viral vectors",
        "Clinical manufacturing",
        ("San Diego", "US", "CA", "America/Los_Angeles"),
    ),
    (
        "Sakura Bioprocess",
        "Recombinant proteins",
        "Process development",
        ("Kobe", "JP", "", "Asia/Tokyo"),
    ),
    (
        "Northbay Analytical",
        "Small molecule, peptides",
        "Analytical",
        ("Hyderabad", "IN", "TG", "Asia/Kolkata"),
    ),
]
# Hours a CDMO takes to answer, drawn per ask: from prompt (Alpine) to slow (Northbay), so the
# SLA figures of the demo tell CDMOs apart.
RESPONSIVENESS = [
    [1, 2, 3, 4, 6, 20],
    [2, 4, 6, 20, 26, 30],
    [3, 5, 20, 30, 50, 70],
    [2, 20, 30, 50, 96, 160],
    [4, 6, 22, 28, 50],
    [20, 50, 96, 160, 200],
]
CONTACT_ROLES = [
    ("Project Manager", "Project management"),
    ("QA Lead", "Quality assurance"),
    ("MSAT Scientist", "MSAT"),
]
FIRST = [
    "Anna",
    "Ben",
    "Chen",
    "Dana",
    "Emil",
    "Farah",
    "Gita",
    "Hugo",
    "Ines",
    "Jonas",
    "Kenji",
    "Lena",
    "Mateo",
    "Noor",
    "Oskar",
    "Priya",
    "Quinn",
    "Rosa",
]
LAST = ["Meier", "Brooks", "Tanaka", "Schmidt", "Rao", "Novak", "Silva", "Weber", "Kim", "Larsen"]
PROGRAMS = [
    "HX-101 mAb",
    "HX-205 ADC",
    "HX-310 bispecific",
    "HX-412 cell line",
    "HX-520 vaccine",
    "HX-633 peptide",
    "HX-701 CAR-T",
    "HX-808 enzyme",
    "HX-915 Fc-fusion",
    "HX-120 biosimilar",
]
OUTBOUND_SUBJECTS = [
    "Batch record for lot {n} — please review",
    "Request updated stability data (T{n})",
    "Question on yield drop in run {n}",
    "Please confirm slot for engineering run {n}",
    "CoA missing for lot {n}",
    "Deviation DEV-{n}: need root cause",
    "Quote for scale-up to 2000 L",
    "Tech transfer package v{n} comments",
    "Schedule change for PPQ batch {n}",
]
INBOUND_SUBJECTS = [
    "Re: batch record lot {n}",
    "Stability data T{n} attached",
    "Yield investigation update",
    "Slot confirmed for run {n}",
    "CoA for lot {n}",
    "DEV-{n} root cause analysis",
    "Weekly status report wk {n}",
    "Revised quote attached",
    "Capacity update Q{n}",
]


class Command(AuditedCommand):
    help = "Create the demo sponsor Helix Bio with users, CDMOs, projects and communications."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Delete and recreate the demo.")

    def handle(self, *args, reset=False, **options):
        existing = Sponsor.objects.filter(slug="helix-bio").first()
        if existing and not reset:
            self.stdout.write("Demo sponsor exists; use --reset to recreate it.")
            return
        with transaction.atomic():
            if existing:
                for model in (Communication, Request, Project, Contact, Site, CDMO, Membership):
                    model.objects.filter(sponsor=existing).delete()
                for model in (PolicyTarget, PolicyVersion, SLAPolicy):
                    model.objects.filter(sponsor=existing).delete()
                existing.delete()
            sponsor = self.seed(random.Random(2026))  # noqa: S311
        self.stdout.write(self.style.SUCCESS(f"Demo sponsor {sponsor} ready."))

    def seed(self, rng):
        User = get_user_model()
        now = timezone.now().replace(second=0, microsecond=0)
        sponsor = Sponsor.objects.create(name="Helix Bio", slug="helix-bio")
        other = Sponsor.objects.get_or_create(name="Nordlys Therapeutics", slug="nordlys")[0]
        users = {}
        for username, first, last, role, zone in USERS:
            user = User.objects.filter(username=username).first() or User(username=username)
            user.first_name, user.last_name, user.time_zone = first, last, zone
            user.email = f"{username}@helix.example"
            user.set_password(DEMO_PASSWORD)
            user.save()
            Membership.objects.create(user=user, sponsor=sponsor, role=role)
            users[username] = user
        # Alice also advises a second sponsor: the switcher and tenant isolation show in the demo.
        Membership.objects.get_or_create(user=users["alice"], sponsor=other, role=Role.VIEWER)

        projects = []
        for index, (name, modalities, services, site_data) in enumerate(CDMOS):
            cdmo = CDMO.objects.create(
                sponsor=sponsor,
                name=name,
                website=f"https://www.{name.split()[0].lower()}.example",
                email_domains=f"{name.split()[0].lower()}.example",
                modalities=modalities,
                services=services,
                status=CDMO.Status.PAUSED if index == 5 else CDMO.Status.ACTIVE,
            )
            site_name, country, subdivision, zone = site_data
            site = Site.objects.create(
                cdmo=cdmo, name=site_name, country=country, subdivision=subdivision, time_zone=zone
            )
            contacts = [
                Contact.objects.create(
                    cdmo=cdmo,
                    name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    title=title,
                    function=function,
                    email=f"contact{i}@{cdmo.email_domains}",
                    phone=f"+1 555 01{index}{i}",
                )
                for i, (title, function) in enumerate(CONTACT_ROLES)
            ]
            for number in range(4 if index in (2, 3) else 3):
                code = f"HX-{index + 1}{number + 1:02d}"
                program = PROGRAMS[(index * 3 + number) % len(PROGRAMS)]
                projects.append(
                    Project.objects.create(
                        cdmo=cdmo,
                        site=site,
                        name=f"{program} — {services.split(',')[0].strip().lower()}",
                        code=code,
                        service_type=rng.choice(Project.ServiceType.values[:6]),
                        phase=rng.choice(Project.Phase.values),
                        status=Project.Status.ACTIVE if number < 2 else Project.Status.ON_HOLD,
                        owner=users["maria"] if (index + number) % 3 else users["alice"],
                        spoc=contacts[0] if number != 2 else None,
                        start_date=(now - timedelta(days=200 + 30 * number)).date(),
                    )
                )
        self.seed_policy(sponsor, users["alice"], now)
        self.seed_log(rng, projects, users, now)
        return sponsor

    def seed_policy(self, sponsor, author, now):
        """The default SLA policy: targets by priority, from the quality agreement."""
        policy = SLAPolicy.objects.create(
            sponsor=sponsor, name="Standard QA terms", is_default=True
        )
        version = PolicyVersion.objects.create(
            sponsor=sponsor,
            policy=policy,
            number=1,
            effective_from=now - timedelta(days=365),
            calendar_kind=CalendarKind.SITE,
            source="Quality agreement §7.2 (2025)",
            warning_lead_minutes=120,
            escalation_steps=[
                {"after_minutes": 480, "role": "owner"},
                {"after_minutes": 960, "role": "admin"},
                {"after_minutes": 2400, "role": "executive"},
            ],
            created_by=author,
        )
        day = 480
        terms = {  # first response, next response, update interval, resolution
            "urgent": (240, 240, day, 3 * day),
            "high": (day, day, 2 * day, 5 * day),
            "normal": (2 * day, 2 * day, 5 * day, 10 * day),
            "low": (5 * day, 5 * day, None, None),
        }
        PolicyTarget.objects.bulk_create(
            PolicyTarget(
                sponsor=sponsor,
                version=version,
                category=category,
                priority=priority,
                first_response_minutes=first,
                next_response_minutes=following,
                update_interval_minutes=update,
                resolution_minutes=resolution,
            )
            for category in Request.Category.values
            for priority, (first, following, update, resolution) in terms.items()
        )

    def seed_log(self, rng, projects, users, now):
        """A few hundred communications over six months, with asks and answers."""
        communications, links, requests = [], [], []
        names = [name for name, *_ in CDMOS]
        for project in projects:
            contacts = list(project.cdmo.contacts.all())
            delays = RESPONSIVENESS[names.index(project.cdmo.name)]
            moment = now - timedelta(days=180) + timedelta(hours=rng.randint(0, 72))
            while moment < now - timedelta(hours=2):
                n = rng.randint(1, 99)
                opener = Communication(
                    project=project,
                    sponsor_id=project.sponsor_id,
                    direction="outbound",
                    channel=rng.choice(["email", "email", "call", "meeting", "video"]),
                    occurred_at=moment,
                    subject=rng.choice(OUTBOUND_SUBJECTS).format(n=n),
                    summary="Please see the attached and let us know by end of week.\n"
                    "Context: follow-up from the last steering meeting.",
                    needs_response=True,
                    logged_by=project.owner,
                    logged_at=moment + timedelta(minutes=rng.randint(1, 90)),
                )
                version = policy_version_for(project, moment)
                request = Request.objects.create(
                    project=project,
                    title=opener.subject,
                    opened_at=moment,
                    category=rng.choice(Request.Category.values),
                    priority=rng.choice(["normal", "normal", "high", "low", "urgent"]),
                    opened_by=project.owner,
                    policy_version=version,
                    calendar_snapshot=calendar_snapshot(version, project),
                )
                requests.append(request)
                if rng.random() < 0.12:
                    # The CDMO had to wait on us for a while (documents, a decision...).
                    pause_start = moment + timedelta(hours=rng.randint(1, 20))
                    pause_end = pause_start + timedelta(hours=rng.randint(4, 60))
                    Pause.objects.create(
                        request=request,
                        started_at=pause_start,
                        ended_at=pause_end if pause_end < now else None,
                        reason_category=rng.choice(Pause.Reason.values),
                        reason="Waiting for our batch records and a decision on the spec.",
                        started_by=project.owner,
                        ended_by=project.owner if pause_end < now else None,
                    )
                    if pause_end >= now:
                        request.status = Request.Status.WAITING_ON_SPONSOR
                        request.save()
                communications.append(opener)
                links.append((opener, request, contacts[:1]))
                answered = rng.random() < 0.85
                answer_at = moment + timedelta(hours=rng.choice(delays))
                if answered and answer_at < now:
                    reply = Communication(
                        project=project,
                        sponsor_id=project.sponsor_id,
                        direction="inbound",
                        channel=rng.choice(["email", "email", "call", "portal"]),
                        occurred_at=answer_at,
                        subject=rng.choice(INBOUND_SUBJECTS).format(n=n),
                        summary="Thanks for the note — details below.",
                        logged_by=project.owner,
                        logged_at=answer_at + timedelta(minutes=rng.randint(1, 600)),
                    )
                    communications.append(reply)
                    links.append((reply, request, contacts[: rng.randint(1, 3)]))
                    # Older asks are mostly settled; recent ones are still being worked on.
                    settled = 0.95 if now - answer_at > timedelta(days=21) else 0.5
                    if rng.random() < settled:
                        request.status = Request.Status.RESOLVED
                        request.resolved_at = answer_at + timedelta(hours=rng.randint(1, 48))
                        if request.resolved_at > now:
                            request.resolved_at = now
                        pause = request.pauses.filter(ended_at__isnull=True).first()
                        if pause:
                            pause.ended_at = max(request.resolved_at, pause.started_at)
                            pause.save()
                        request.save()
                        RequestEvent.objects.create(
                            request=request,
                            kind=RequestEvent.Kind.RESOLVED,
                            occurred_at=request.resolved_at,
                            by=project.owner,
                        )
                moment += timedelta(hours=rng.randint(140, 380))
        Communication.objects.bulk_create(communications)
        saved = {
            (c.project_id, c.occurred_at, c.subject): c
            for c in Communication.objects.filter(project__in=projects)
        }
        through_requests, through_contacts = [], []
        for communication, request, contacts in links:
            pk = saved[
                (communication.project_id, communication.occurred_at, communication.subject)
            ].pk
            through_requests.append(
                Communication.requests.through(communication_id=pk, request_id=request.pk)
            )
            through_contacts.extend(
                Communication.participants.through(communication_id=pk, contact_id=c.pk)
                for c in contacts
            )
        Communication.requests.through.objects.bulk_create(through_requests)
        Communication.participants.through.objects.bulk_create(through_contacts)
        # Links written in bulk send no signal: each communication records its linked state.
        Communication.objects.filter(project__in=projects).record_versions()
        # Six months of history would otherwise send six months of alerts on the first sweep.
        compute_now(projects=projects, requests=requests, now=now, settle_past_notices=True)
