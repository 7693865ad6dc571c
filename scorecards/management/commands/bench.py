"""Print the SLA engine's speed figures beside the SPEC §6 targets.

Run through `make bench` (a PostgreSQL database of its own, never the demo's). The 200,000
open requests for the sweep are seeded once and reused.
"""

import statistics
import time
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from audit.trail import AuditedCommand
from engagements.models import (
    CDMO,
    CalendarKind,
    Communication,
    Pause,
    PolicyTarget,
    PolicyVersion,
    Project,
    Request,
    Site,
    SLAPolicy,
    Sponsor,
)
from engagements.terms import calendar_snapshot
from scorecards import clock, recompute, sla, sweep
from scorecards.models import Clock

OPEN_REQUESTS = 200_000
BERLIN = clock.Calendar(time_zone="Europe/Berlin", country="DE", subdivision="BE")


def timed(function, repeat):
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def year_of_history(start):
    """A weekly ask and answer for a year, a chaser each month, a pause each quarter."""
    communications, pauses = [], []
    for week in range(52):
        asked = start + timedelta(weeks=week, hours=1)
        communications.append(
            sla.Communication(asked, 2 * week, inbound=False, needs_response=True)
        )
        communications.append(sla.Communication(asked + timedelta(hours=30), 2 * week + 1, True))
    for quarter in range(4):
        begin = start + timedelta(weeks=13 * quarter + 2)
        pauses.append((begin, begin + timedelta(days=2)))
    return communications, pauses


class Command(AuditedCommand):
    help = "Benchmark the SLA clocks and sweep; prints each figure beside its target."

    def add_arguments(self, parser):
        parser.add_argument("--open-requests", type=int, default=OPEN_REQUESTS)

    def handle(self, *args, open_requests, **options):
        rows = [("what", "measured", "target")]
        rows += self.pure_replay()
        rows += self.stored_recompute()
        rows += self.sweep(open_requests)
        width = max(len(r[0]) for r in rows)
        for what, measured, target in rows:
            self.stdout.write(f"{what:<{width}}  {measured:>22}  {target}")

    def pure_replay(self):
        start = datetime(2025, 1, 6, 8, tzinfo=UTC)
        communications, pauses = year_of_history(start)
        targets = sla.Targets(480, 240, 960, 4800)

        def run():
            sla.replay(
                calendar=BERLIN,
                opened_at=start,
                raised_by_cdmo=False,
                targets=targets,
                communications=communications,
                lifecycle=[],
                pauses=pauses,
                now=start + timedelta(days=365),
                warning_lead=60,
                escalation_steps=[{"after_minutes": 480, "role": "owner"}],
            )

        run()  # the calendar's year tables are built once per process
        median, p95 = timed(run, 300)
        return [
            (
                "replay one request, a year of history (104 comms, 4 pauses)",
                f"median {median:.2f} ms, p95 {p95:.2f} ms",
                "≤ 10 ms",
            )
        ]

    def _world(self):
        sponsor, _ = Sponsor.objects.get_or_create(slug="bench", defaults={"name": "Bench Bio"})
        from accounts.models import User

        owner, _ = User.objects.get_or_create(username="bench-owner")
        cdmo, _ = CDMO.objects.get_or_create(sponsor=sponsor, name="Bench CDMO")
        site, _ = Site.objects.get_or_create(
            cdmo=cdmo,
            name="Berlin",
            defaults={"country": "DE", "subdivision": "BE", "time_zone": "Europe/Berlin"},
        )
        project, _ = Project.objects.get_or_create(
            sponsor=sponsor,
            code="BENCH-1",
            defaults={
                "cdmo": cdmo,
                "site": site,
                "name": "Bench",
                "owner": owner,
                "service_type": "analytical",
            },
        )
        policy, _ = SLAPolicy.objects.get_or_create(
            sponsor=sponsor, name="Bench", defaults={"is_default": True}
        )
        version, created = PolicyVersion.objects.get_or_create(
            policy=policy,
            number=1,
            defaults={
                "sponsor": sponsor,
                "effective_from": datetime(2020, 1, 1, tzinfo=UTC),
                "calendar_kind": CalendarKind.SITE,
                "warning_lead_minutes": 60,
            },
        )
        if created:
            PolicyTarget.objects.create(
                sponsor=sponsor,
                version=version,
                category="question",
                priority="normal",
                first_response_minutes=480,
                next_response_minutes=240,
                update_interval_minutes=960,
                resolution_minutes=4800,
            )
        return sponsor, owner, project, version

    def stored_recompute(self):
        sponsor, owner, project, version = self._world()
        start = timezone.now() - timedelta(days=365)
        request = Request.objects.filter(project=project, title="year of history").first()
        if request is None:
            with transaction.atomic():
                request = Request.objects.create(
                    project=project,
                    title="year of history",
                    opened_at=start,
                    opened_by=owner,
                    policy_version=version,
                    calendar_snapshot=calendar_snapshot(version, project),
                )
                communications, pauses = year_of_history(start)
                rows = Communication.objects.bulk_create(
                    Communication(
                        project=project,
                        sponsor=sponsor,
                        occurred_at=c.occurred_at,
                        direction="inbound" if c.inbound else "outbound",
                        needs_response=c.needs_response,
                        subject="bench",
                        logged_by=owner,
                    )
                    for c in communications
                )
                Communication.requests.through.objects.bulk_create(
                    Communication.requests.through(communication_id=c.pk, request_id=request.pk)
                    for c in rows
                )
                Communication.objects.filter(pk__in=[c.pk for c in rows]).record_versions()
                Pause.objects.bulk_create(
                    Pause(
                        request=request,
                        sponsor=sponsor,
                        started_at=a,
                        ended_at=b,
                        reason_category="documents",
                        reason="bench",
                        started_by=owner,
                    )
                    for a, b in pauses
                )
        recompute.recompute(request.pk)
        median, p95 = timed(lambda: recompute.recompute(request.pk), 100)
        return [
            (
                "recompute and store one request (load, replay, write)",
                f"median {median:.1f} ms, p95 {p95:.1f} ms",
                "≤ 10 ms (replay part above)",
            )
        ]

    def sweep(self, open_requests):
        sponsor, owner, project, version = self._world()
        existing = Request.objects.filter(project=project, title="open").count()
        now = clock.truncate(timezone.now())
        snapshot = calendar_snapshot(version, project)
        batch = 10_000
        while existing < open_requests:
            size = min(batch, open_requests - existing)
            with transaction.atomic():
                requests = Request.objects.bulk_create(
                    Request(
                        project=project,
                        sponsor=sponsor,
                        title="open",
                        opened_at=now - timedelta(hours=1),
                        opened_by=owner,
                        policy_version=version,
                        calendar_snapshot=snapshot,
                        clocks_stale=False,
                    )
                    for _ in range(size)
                )
                Clock.objects.bulk_create(
                    Clock(
                        sponsor=sponsor,
                        request=r,
                        kind="first_response",
                        started_at=r.opened_at,
                        target_minutes=480,
                        due_at=now + timedelta(minutes=5 + (i * 37) % 40000),
                        state="running",
                    )
                    for i, r in enumerate(requests)
                )
            existing += size
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE scorecards_clock; ANALYZE engagements_request;")
        # A quiet sweep: 200,000 running clocks, none due.
        quiet, _ = timed(lambda: sweep.run(now), 5)
        # A busy one: 500 of them became due since the last sweep.
        due = list(
            Clock.objects.filter(request__project=project, request__title="open", state="running")
            .order_by("id")
            .values_list("id", flat=True)[:500]
        )
        Clock.objects.filter(id__in=due).update(due_at=now - timedelta(minutes=1))
        started = time.perf_counter()
        summary = sweep.run(now)
        busy = (time.perf_counter() - started) * 1000
        Clock.objects.filter(request__title="open", state="running", due_at__lt=now).update(
            due_at=now + timedelta(days=30)
        )
        return [
            (
                f"SLA sweep over {open_requests:,} open requests, none due",
                f"{quiet:.0f} ms",
                "≤ 4 s",
            ),
            (
                f"SLA sweep, {summary['due']} clocks newly due (breaches recorded)",
                f"{busy:.0f} ms",
                "≤ 4 s",
            ),
        ]
