"""How the demo's six months of history are written: CDMO personalities and request stories.

Every CDMO has a service personality (how often it meets each SLA term, how fast it answers when
it does, how late when it does not, how often the sponsor has to ask again). Answers are placed
in business minutes of the CDMO site's calendar, so a delay means the same over a weekend as on
a Tuesday, and the clocks scorecards computes from the log come out as the personality says.

Each request follows a case of its category (demo_texts): the ask, the first answer, follow-up
asks (next-response cycles), periodic updates while the CDMO owes its result (update-interval
clocks), now and then a pause while the CDMO waits on us, and the close. The history is cut at
now: what would happen later is left out, so recent requests are still open.
"""

import itertools
import random
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from engagements.models import (
    Communication,
    Pause,
    PolicyVersion,
    Project,
    Request,
    RequestEvent,
)
from scorecards.api import ClockKind, next_working_intervals

from .demo_texts import (
    CASES,
    DEFAULT_NEEDS,
    FOLLOW_UPS,
    FOLLOW_UPS_AFTER,
    NEEDS,
    STATUS_CALLS,
    UPDATES,
)

HISTORY_DAYS = 182
FIRST, NEXT, UPDATE, RESOLUTION = ClockKind.values
DAY = 480  # a business day, in minutes
# Targets in business minutes by priority: first response, next response, update, resolution.
TERMS = {
    "urgent": (240, 240, DAY, 3 * DAY),
    "high": (DAY, DAY, 2 * DAY, 5 * DAY),
    "normal": (2 * DAY, 2 * DAY, 5 * DAY, 10 * DAY),
    "low": (5 * DAY, 5 * DAY, None, None),
}


@dataclass(frozen=True)
class Service:
    """How a CDMO serves at some time.

    `met`: the chance it meets each SLA term. A met answer takes on average `speed` of the target
    (0.3 brisk, 0.7 close to the wire); a late one `lateness` times the target on average.
    `follow_up`: the chance that an answer leaves the sponsor asking again. `escalations`: how
    much more often than usual the sponsor escalates.
    """

    met: dict
    speed: float
    lateness: float
    follow_up: float
    escalations: float = 1.0

    def delay(self, rng, meets, target, *, least=0.03):
        """Business minutes the CDMO takes for a clock with `target` minutes it meets or not;
        a met one takes at least `least` of the target."""
        if meets:
            share = least + (0.93 - least) * rng.random() ** (1 / self.speed - 1)
        else:
            share = 1.08 + min(rng.expovariate(1 / (self.lateness - 1)), 4)
        return max(1, round(target * share))


def _service(first, following, update, resolution, **habits):
    return Service(
        met={FIRST: first, NEXT: following, UPDATE: update, RESOLUTION: resolution}, **habits
    )


@dataclass(frozen=True)
class Personality:
    """A CDMO's service over the demo's six months; `later` takes over from `turn_days` ago."""

    standing: str
    service: Service
    later: Service | None = None
    turn_days: int = 95
    ramp_days: int = 20

    def at(self, rng, moment, now):
        if self.later is None:
            return self.service
        turned = (moment - (now - timedelta(days=self.turn_days))) / timedelta(days=self.ramp_days)
        return self.later if rng.random() < turned else self.service


PERSONALITIES = {
    "Alpine Biologics": Personality(
        "good",
        _service(0.97, 0.95, 0.94, 0.95, speed=0.3, lateness=1.3, follow_up=0.3, escalations=0.2),
    ),
    "Rheinwerk Pharma Services": Personality(
        "good",
        _service(0.96, 0.94, 0.92, 0.94, speed=0.4, lateness=1.4, follow_up=0.35, escalations=0.4),
    ),
    "Carolina Fill-Finish": Personality(
        "average", _service(0.8, 0.78, 0.76, 0.83, speed=0.55, lateness=1.6, follow_up=0.4)
    ),
    "Kestrel Cell Therapy": Personality(
        "slipping",  # good until the last quarter
        _service(0.95, 0.93, 0.9, 0.93, speed=0.35, lateness=1.4, follow_up=0.3, escalations=0.4),
        later=_service(
            0.58, 0.5, 0.45, 0.5, speed=0.75, lateness=2.2, follow_up=0.55, escalations=3
        ),
    ),
    "Sakura Bioprocess": Personality(
        "average", _service(0.86, 0.72, 0.66, 0.75, speed=0.5, lateness=1.7, follow_up=0.45)
    ),
    "Northbay Analytical": Personality(
        "poor",
        _service(0.55, 0.5, 0.45, 0.55, speed=0.75, lateness=2.5, follow_up=0.55, escalations=3),
    ),
}

# category: (weight, priority weights)
CATEGORIES = {
    "question": (16, {"low": 35, "normal": 55, "high": 10}),
    "technical_query": (16, {"normal": 55, "high": 35, "urgent": 10}),
    "document_request": (18, {"low": 20, "normal": 65, "high": 15}),
    "quote": (8, {"low": 30, "normal": 60, "high": 10}),
    "site_visit": (5, {"low": 50, "normal": 50}),
    "quality": (14, {"normal": 30, "high": 45, "urgent": 25}),
    "schedule_change": (9, {"normal": 45, "high": 40, "urgent": 15}),
    "escalation": (4, {"high": 60, "urgent": 40}),
    "other": (5, {"low": 60, "normal": 40}),
}
CANCELLABLE = {"quote": 0.1, "site_visit": 0.1, "schedule_change": 0.08, "other": 0.08}
RAISED_BY_CDMO = 0.4  # share of the cases a CDMO can raise (deviations, slot moves) it does raise
PAUSE_SHARE = 0.4  # share of long requests in which the CDMO waits on the sponsor for a while
ANSWERED_BY = {"quality": 1, "technical_query": 2, "schedule_change": 2}  # contact by function


class WorkingTime:
    """The working minutes of one calendar laid end to end: instant ↔ minutes worked so far.

    Built from `next_working_intervals`, so it agrees with the clocks' own business time:
    `minutes(b) - minutes(a)` is the business time between a and b.
    """

    def __init__(self, calendar, start, days):
        spans = [
            (s.astimezone(UTC), e.astimezone(UTC))
            for s, e in next_working_intervals(calendar, start, days)
        ]
        self.starts = [s for s, _ in spans]
        self.done = list(itertools.accumulate((e - s) // timedelta(minutes=1) for s, e in spans))

    def minutes(self, at):
        """Working minutes from the start to `at` (outside working hours: to the last close)."""
        index = bisect_right(self.starts, at) - 1
        if index < 0:
            return 0
        before = self.done[index - 1] if index else 0
        return min(self.done[index], before + (at - self.starts[index]) // timedelta(minutes=1))

    def instant(self, minutes):
        """When `minutes` working minutes are done: a span's end rather than the next start."""
        index = bisect_left(self.done, minutes)
        before = self.done[index - 1] if index else 0
        return self.starts[index] + timedelta(minutes=minutes - before)


def office_time(rng, at, zone):
    """`at`, or else the next moment the sponsor's PM is at work (weekdays 08:30–18:00)."""
    settling_in = timedelta(minutes=rng.randint(0, 150))  # drawn whatever the day: see Log
    local = at.astimezone(zone)
    minute = local.hour * 60 + local.minute
    if local.weekday() < 5 and 510 <= minute < 1080:
        return at
    day = local.date() + timedelta(days=1 if minute >= 1080 else 0)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return (datetime.combine(day, time(8, 30), tzinfo=zone) + settling_in).astimezone(UTC)


@dataclass
class ProjectScene:
    """What the stories of one project need: its people, its calendar, its CDMO's personality."""

    project: Project
    program: str
    owner_zone: ZoneInfo
    contacts: list
    personality: Personality
    working: WorkingTime
    version: PolicyVersion
    snapshot: dict


@dataclass
class Thread:
    """One request as it unfolds, in time order; whatever would happen after now is left out.

    `shift` is the business time paused so far: the CDMO's clocks do not count it, so "the CDMO
    worked N minutes" is a distance on the working-time line less the pauses.
    """

    log: "Log"
    scene: ProjectScene
    request: Request
    values: dict
    shift: int = 0
    last_inbound_at: datetime | None = None
    last_at: datetime | None = None
    cut: bool = False

    def worked(self, at):
        return self.scene.working.minutes(at) - self.shift

    def at_work(self, minutes):
        return self.scene.working.instant(minutes + self.shift)

    def say(self, at, inbound, subject, summary, needs_response=False, channel=None):
        """Log a communication on the request; False (and the story ends) when it is future.

        `summary` may hold the request's placeholders; `subject` is final.
        """
        if at > self.log.now:
            self.cut = True
            return False
        contacts = self.scene.contacts
        if inbound:
            people = [contacts[ANSWERED_BY.get(self.request.category, 0)]]
            if self.log.rng.random() < 0.3:
                people.append(contacts[0])
            self.last_inbound_at = at
        else:
            people = [self.scene.project.spoc or contacts[0]]
        self.last_at = at
        self.log.communication(
            self.scene,
            at,
            inbound,
            subject,
            summary.format(**self.values),
            needs_response=needs_response,
            request=self.request,
            participants=set(people),
            channel=channel,
        )
        return True

    def pause(self, start, end, needs):
        """The CDMO waits on us from `start` to `end`; False when the pause runs past now."""
        if start > self.log.now:
            self.cut = True
            return False
        ended = end <= self.log.now
        owner = self.scene.project.owner
        self.log.pauses.append(
            Pause(
                request=self.request,
                sponsor_id=self.request.sponsor_id,
                started_at=start,
                ended_at=end if ended else None,
                reason_category=needs.reason_category,
                reason=needs.reason.format(**self.values),
                started_by=owner,
                ended_by=owner if ended else None,
            )
        )
        if not ended:
            self.request.status = Request.Status.WAITING_ON_SPONSOR
            self.cut = True
            return False
        self.shift += self.scene.working.minutes(end) - self.scene.working.minutes(start)
        return True

    def close(self, at, kind, note=""):
        if self.cut or at > self.log.now:
            return
        self.log.events.append(
            RequestEvent(
                request=self.request,
                sponsor_id=self.request.sponsor_id,
                kind=kind,
                occurred_at=at,
                note=note,
                by=self.scene.project.owner,
            )
        )
        if kind == RequestEvent.Kind.RESOLVED:
            self.request.status, self.request.resolved_at = Request.Status.RESOLVED, at
        else:
            self.request.status = Request.Status.CANCELLED


@dataclass
class Log:
    """The rows of the demo's history, collected in memory and written in bulk.

    Each project's pacing and each request's story draws from its own random stream, seeded
    from `seed` and the project code: where a story is cut by now (which depends on the day the
    demo is loaded) does not change the stories after it.
    """

    seed: int
    now: datetime
    rng: random.Random | None = None  # the stream of what is being written
    tallies: dict = field(default_factory=dict)  # (service, kind, month) -> [drawn, met]
    month: int = 0  # of the story being written, counted back from now
    requests: list = field(default_factory=list)
    threads: list = field(default_factory=list)
    communications: list = field(default_factory=list)  # (communication, request, participants)
    pauses: list = field(default_factory=list)
    events: list = field(default_factory=list)

    def communication(
        self,
        scene,
        at,
        inbound,
        subject,
        summary,
        *,
        needs_response,
        request,
        participants,
        channel=None,
    ):
        rng = self.rng
        if rng.random() < 0.04:  # typed in from notes a day or more later: marked "backdated"
            logged_at = at + timedelta(hours=rng.randint(26, 80))
        else:
            logged_at = at + timedelta(minutes=rng.randint(2, 240))
        channels = ["email"] * 7 + (["portal", "portal", "call"] if inbound else ["call", "video"])
        self.communications.append(
            (
                Communication(
                    project=scene.project,
                    sponsor_id=scene.project.sponsor_id,
                    direction="inbound" if inbound else "outbound",
                    channel=channel or rng.choice(channels),
                    occurred_at=at,
                    subject=subject[:200],
                    summary=summary,
                    needs_response=needs_response,
                    logged_by=scene.project.owner,
                    logged_at=min(logged_at, self.now),
                ),
                request,
                participants,
            )
        )

    def meets(self, service, kind):
        """Whether the CDMO meets its next clock of `kind`, drawn at random but nudged so that
        its share of met clocks stays near its personality's, month by month: a demo of a few
        hundred clocks should not read as luck, in the report's default 30 days either."""
        key = (id(service), kind, self.month)
        drawn, met = self.tallies.get(key, (0, 0))
        chance = service.met[kind] + (service.met[kind] * drawn - met) / 2
        meets = self.rng.random() < chance
        self.tallies[key] = (drawn + 1, met + meets)
        return meets

    def delay(self, service, kind, target, meets=None):
        if meets is None:
            meets = self.meets(service, kind)
        # A long request is long: even a prompt CDMO needs a good part of the resolution target,
        # and regular updates come at a rhythm, not minutes apart.
        least = {RESOLUTION: 0.4, UPDATE: 0.35}.get(kind, 0.03)
        return service.delay(self.rng, meets, target, least=least)

    # Stories ---------------------------------------------------------------------------------

    def project_history(self, scene, active):
        """A project's requests over the demo's six months, and its fortnightly status calls."""
        now, code = self.now, scene.project.code
        rng = random.Random(f"{self.seed}:{code}")  # noqa: S311 - demo data, not secrets
        moment = now - timedelta(days=HISTORY_DAYS) + timedelta(hours=rng.randint(0, 120))
        # A project on hold stopped raising new asks six weeks ago.
        last = now - timedelta(hours=4) if active else now - timedelta(days=45)
        for number in itertools.count():
            if moment >= last:
                break
            self.rng = random.Random(f"{self.seed}:{code}:{number}")  # noqa: S311
            self.month = (now - moment).days // 30
            self.request_story(scene, moment)
            moment += timedelta(hours=rng.randint(96, 264) if active else rng.randint(300, 700))
        self.rng = rng
        if not active:
            return
        call = now - timedelta(days=HISTORY_DAYS - rng.randint(3, 12))
        while call < now:
            at = scene.working.instant(scene.working.minutes(call) + rng.randint(60, 400))
            if at <= now:
                self.communication(
                    scene,
                    at,
                    True,
                    f"Status call, week {at.isocalendar().week}",
                    rng.choice(STATUS_CALLS).format(program=scene.program),
                    needs_response=False,
                    request=None,
                    participants={scene.project.spoc or scene.contacts[0]},
                    channel=rng.choice(["video", "video", "meeting"]),
                )
            call += timedelta(days=14)

    def request_story(self, scene, moment):
        rng, now = self.rng, self.now
        service = scene.personality.at(rng, moment, now)
        categories = list(CATEGORIES)
        weights = [
            CATEGORIES[c][0] * (service.escalations if c == "escalation" else 1) for c in categories
        ]
        category = rng.choices(categories, weights)[0]
        priorities = CATEGORIES[category][1]
        priority = rng.choices(list(priorities), list(priorities.values()))[0]
        case = rng.choice(CASES[category])
        raised = bool(case.report) and rng.random() < RAISED_BY_CDMO
        if raised:  # the CDMO writes in its own working hours
            working = scene.working
            opened_at = working.instant(working.minutes(moment) + rng.randint(30, 450))
        else:
            opened_at = office_time(rng, moment, scene.owner_zone)
        if opened_at > now:
            return
        values = self.placeholders(scene, opened_at)
        request = Request(
            project=scene.project,
            sponsor_id=scene.project.sponsor_id,
            title=case.title.format(**values),
            category=category,
            priority=priority,
            opened_at=opened_at,
            opened_by=scene.project.owner,
            raised_by_cdmo=raised,
            policy_version=scene.version,
            calendar_snapshot=scene.snapshot,
        )
        self.requests.append(request)
        thread = Thread(self, scene, request, values)
        self.threads.append(thread)
        self.tell(thread, case, service, TERMS[priority], raised)

    def tell(self, thread, case, service, targets, raised):
        """The thread of one request: ask, answer, follow-ups, updates, pause, close."""
        rng = self.rng
        request = thread.request
        category = request.category
        first, following, update, resolution = targets
        zone = thread.scene.owner_zone
        reply = "Re: " + request.title
        opened = thread.worked(request.opened_at)
        if raised:
            thread.say(request.opened_at, True, request.title, case.report)
        else:
            thread.say(request.opened_at, False, request.title, case.ask, needs_response=True)
            answered = opened + self.delay(service, FIRST, first)
            if not thread.say(thread.at_work(answered), True, reply, case.answer):
                return
        cancel = rng.random() < CANCELLABLE.get(category, 0)
        # A long request: the first answer only acknowledged the ask, the CDMO owes its result.
        owes_result = bool(case.final) and not cancel
        long = owes_result and resolution is not None
        resolves_in_time = long and self.meets(service, RESOLUTION)
        done = opened
        if long:
            done += self.delay(service, RESOLUTION, resolution, meets=resolves_in_time)
        needs = NEEDS.get(category, DEFAULT_NEEDS) if long and rng.random() < PAUSE_SHARE else None
        follow_ups = list((FOLLOW_UPS if case.final else FOLLOW_UPS_AFTER).get(category, ()))
        rng.shuffle(follow_ups)
        follow_up_chance = 0.85 if raised else service.follow_up
        updates = itertools.cycle(UPDATES[category])
        for _ in range(20):
            last = thread.worked(thread.last_inbound_at)
            # Asks and pauses fit in the time the CDMO takes to settle a long request.
            room = done - last if long else following
            if needs and room > (update + following) / 2 and rng.random() < 0.5:
                gap = self.delay(service, UPDATE, update)
                if not thread.say(thread.at_work(last + gap), True, reply, needs.message):
                    return
                start = thread.last_inbound_at + timedelta(minutes=rng.randint(10, 120))
                end = office_time(rng, start + timedelta(hours=rng.randint(20, 200)), zone)
                if not thread.pause(start, end, needs):
                    return
                if not thread.say(end, False, reply, needs.reply, needs_response=True):
                    return
                answered = thread.worked(end) + self.delay(service, NEXT, following)
                if not thread.say(
                    thread.at_work(answered),
                    True,
                    reply,
                    "Thank you, received: we are going on with it.",
                    channel="email",
                ):
                    return
                needs = None
                continue
            if follow_ups and room >= following and rng.random() < follow_up_chance:
                follow_up_chance = service.follow_up
                ask, answer = follow_ups.pop()
                asked = thread.last_inbound_at + timedelta(minutes=rng.randint(20, 1440))
                asked = office_time(rng, asked, zone)
                asked_after = thread.worked(asked)
                answered = asked_after + self.delay(service, NEXT, following)
                if update and answered > last + update and self.meets(service, UPDATE):
                    # A CDMO that keeps its update rhythm speaks within the interval: an update
                    # before our ask if we were slow to ask, else its answer comes in time.
                    kept = last + round(update * rng.uniform(0.5, 0.95))
                    if kept < asked_after:
                        subject = "Update: " + request.title
                        if not thread.say(thread.at_work(kept), True, subject, next(updates)):
                            return
                    else:
                        answered = kept + 1
                if not thread.say(asked, False, reply, ask, needs_response=True):
                    return
                if not thread.say(thread.at_work(answered), True, reply, answer):
                    return
                continue
            if owes_result:
                if update is None:  # low priority: no update or resolution terms to keep
                    final = last + rng.randint(240, 5 * DAY)
                else:
                    gap = self.delay(service, UPDATE, update)
                    if last + gap < done:
                        subject = "Update: " + request.title
                        at = thread.at_work(last + gap)
                        if not thread.say(at, True, subject, next(updates)):
                            return
                        continue
                    final = max(done, last + rng.randint(1, 60))
                    if gap > update:  # silent past the update interval, then the result
                        final = last + gap
                        if resolves_in_time:  # ... yet in time to resolve
                            due = opened + resolution
                            final = max(last + 1, min(final, due - rng.randint(1, 60)))
                if not thread.say(thread.at_work(final), True, reply, case.final):
                    return
            break
        if cancel:
            at = office_time(
                rng, thread.last_inbound_at + timedelta(hours=rng.randint(4, 30)), zone
            )
            thread.close(at, RequestEvent.Kind.CANCELLED, note="No longer needed: plans changed.")
        else:
            at = thread.last_inbound_at + timedelta(minutes=rng.randint(5, 90))
            thread.close(at, RequestEvent.Kind.RESOLVED)

    def wait_on_us(self, count):
        """Make sure `count` open requests wait on the sponsor now (the "Paused" filter has
        something to show), whatever the day the demo is loaded: the latest open long requests
        get a "we need ..." message from the CDMO, and a pause we have not ended yet."""
        now = self.now
        rng = self.rng = random.Random(f"{self.seed}:waiting")  # noqa: S311
        waiting = sum(r.status == Request.Status.WAITING_ON_SPONSOR for r in self.requests)
        candidates = [
            t
            for t in self.threads
            if t.request.status == Request.Status.OPEN
            and TERMS[t.request.priority][3] is not None
            and t.last_at < now - timedelta(hours=6)
        ]
        for thread in sorted(candidates, key=lambda t: t.request.opened_at, reverse=True):
            if waiting >= count:
                return
            needs = NEEDS.get(thread.request.category, DEFAULT_NEEDS)
            asked = thread.last_at + timedelta(minutes=rng.randint(30, 240))
            if asked < now - timedelta(hours=1):
                thread.say(asked, True, "Re: " + thread.request.title, needs.message)
                start = asked + timedelta(minutes=rng.randint(10, 50))
                thread.pause(start, now + timedelta(days=1), needs)
                waiting += 1

    @staticmethod
    def week(day, seen_from):
        """An ISO week as planners write it: "34", or "2/2027" once the year turns."""
        year, week, _ = day.isocalendar()
        return f"{week}" if year == seen_from.isocalendar().year else f"{week}/{year}"

    def placeholders(self, scene, opened_at):
        rng = self.rng
        year = opened_at.year % 100
        return {
            "lot": f"L{year}{rng.randint(100, 999)}",
            "dev": f"DEV-{year}-{rng.randint(12, 340):03d}",
            "batch": rng.randint(1, 3),
            "run": rng.randint(4, 40),
            "n": rng.randint(2, 9),
            "week": self.week(opened_at + timedelta(weeks=rng.randint(2, 6)), opened_at),
            "months": rng.choice([3, 6, 9, 12, 18, 24]),
            "quote": f"Q-{year}-{rng.randint(100, 999)}",
            "amount": f"EUR {rng.randint(40, 1900) * 1000:,}",
            "po": f"4500{rng.randint(100000, 999999)}",
            "program": scene.program,
            "site": scene.project.site.name,
        }

    # Writing ---------------------------------------------------------------------------------

    def save(self):
        """Write every row in bulk (each bulk write records its audit versions)."""
        Request.objects.bulk_create(self.requests)
        Communication.objects.bulk_create([c for c, _, _ in self.communications])
        through = Communication.requests.through
        through.objects.bulk_create(
            through(communication_id=c.pk, request_id=r.pk)
            for c, r, _ in self.communications
            if r is not None
        )
        people = Communication.participants.through
        people.objects.bulk_create(
            people(communication_id=c.pk, contact_id=contact.pk)
            for c, _, participants in self.communications
            for contact in participants
        )
        # Links written in bulk send no signal: each communication records its linked state.
        Communication.objects.filter(
            pk__in=[c.pk for c, _, _ in self.communications]
        ).record_versions()
        Pause.objects.bulk_create(self.pauses)
        RequestEvent.objects.bulk_create(self.events)
