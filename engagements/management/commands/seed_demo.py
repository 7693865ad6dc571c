"""Load the demo portfolio: sponsor "Helix Bio", its users, 6 CDMOs, 20 projects, 6 months of log.

The history tells a story (engagements/management/demo_history.py): two CDMOs are good, two
average, one poor, and one was good until the last quarter and then slipped; every clock kind is
met and breached; requests read like their category; some are still open, a few waiting on us.

Deterministic (a fixed random seed) and idempotent: an existing demo sponsor is left as it is
unless --reset.
"""

import random
from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from audit.trail import AuditedCommand
from engagements.management.demo_history import (
    HISTORY_DAYS,
    PERSONALITIES,
    TERMS,
    Log,
    ProjectScene,
    WorkingTime,
)
from engagements.models import (
    CDMO,
    CalendarKind,
    Communication,
    Contact,
    Membership,
    PolicyTarget,
    PolicyVersion,
    Project,
    Request,
    Role,
    Site,
    SLAPolicy,
    Sponsor,
)
from engagements.terms import calendar_from, calendar_snapshot, policy_version_for
from scorecards.api import compute_now

DEMO_PASSWORD = "helix-demo-2026"  # noqa: S105 - printed in the README for the demo only
RANDOM_SEED = 2026
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
CONTACT_ROLES = [
    ("Project Manager", "Project management"),
    ("QA Lead", "Quality assurance"),
    ("MSAT Scientist", "MSAT"),
]
FIRST_NAMES = [
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
LAST_NAMES = [
    "Meier",
    "Brooks",
    "Tanaka",
    "Schmidt",
    "Rao",
    "Novak",
    "Silva",
    "Weber",
    "Kim",
    "Larsen",
]
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
            sponsor, log = self.seed(random.Random(RANDOM_SEED))  # noqa: S311
        statuses = Counter(request.status for request in log.requests)
        still_open = statuses[Request.Status.OPEN] + statuses[Request.Status.WAITING_ON_SPONSOR]
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo sponsor {sponsor} ready: {len(log.requests)} requests ({still_open} open), "
                f"{len(log.communications)} communications."
            )
        )

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
        self.seed_policy(sponsor, users["alice"], now)

        log = Log(RANDOM_SEED, now)
        start = now - timedelta(days=HISTORY_DAYS + 10)
        scenes = []
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
                    name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    title=title,
                    function=function,
                    email=f"contact{i}@{cdmo.email_domains}",
                    phone=f"+1 555 01{index}{i}",
                )
                for i, (title, function) in enumerate(CONTACT_ROLES)
            ]
            working = None
            for number in range(4 if index in (2, 3) else 3):
                program = PROGRAMS[(index * 3 + number) % len(PROGRAMS)]
                owner = users["maria"] if (index + number) % 3 else users["alice"]
                project = Project.objects.create(
                    cdmo=cdmo,
                    site=site,
                    name=f"{program} — {services.split(',')[0].strip().lower()}",
                    code=f"HX-{index + 1}{number + 1:02d}",
                    service_type=rng.choice(Project.ServiceType.values[:6]),
                    phase=rng.choice(Project.Phase.values),
                    status=Project.Status.ACTIVE if number < 2 else Project.Status.ON_HOLD,
                    owner=owner,
                    spoc=contacts[0] if number != 2 else None,
                    start_date=(now - timedelta(days=200 + 30 * number)).date(),
                )
                version = policy_version_for(project, now)
                snapshot = calendar_snapshot(version, project)
                # One site, one calendar: enough working time for stories that end after now.
                working = working or WorkingTime(calendar_from(snapshot), start, HISTORY_DAYS + 250)
                scenes.append(
                    ProjectScene(
                        project=project,
                        program=program,
                        owner_zone=ZoneInfo(owner.time_zone),
                        contacts=contacts,
                        personality=PERSONALITIES[name],
                        working=working,
                        version=version,
                        snapshot=snapshot,
                    )
                )
        for scene in scenes:
            log.project_history(scene, active=scene.project.status == Project.Status.ACTIVE)
        log.wait_on_us(2)
        log.save()
        # Six months of history would otherwise send six months of alerts on the first sweep.
        compute_now(
            projects=[scene.project for scene in scenes],
            requests=log.requests,
            now=now,
            settle_past_notices=True,
        )
        return sponsor, log

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
            for priority, (first, following, update, resolution) in TERMS.items()
        )
