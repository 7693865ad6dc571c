"""Replay a request's history into its SLA clocks. Pure: no ORM, no settings, no now().

The rules are SPEC §3, "Clocks and metrics": response cycles (first and next response),
update gaps, and resolution clocks, each met, breached, running, paused, void or untimed,
with every pause stopping every CDMO clock. Callers load the facts, call `replay`, and store
what it returns (scorecards/recompute.py).
"""

from dataclasses import dataclass, field
from datetime import datetime

# TextChoices is a str enum (no ORM, no settings): the clock kinds and states are defined here,
# beside the replay that produces them, and the models and forms take their choices from here.
from django.db.models import TextChoices

from . import clock


class ClockKind(TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    NEXT_RESPONSE = "next_response", "Next response"
    UPDATE = "update", "Update interval"
    RESOLUTION = "resolution", "Resolution"


class ClockState(TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    MET = "met", "Met"
    BREACHED = "breached", "Breached"
    VOID = "void", "Void"
    UNTIMED = "untimed", "No target"


# Plain strings for the replay's own arithmetic and fingerprints.
FIRST_RESPONSE, NEXT_RESPONSE, UPDATE, RESOLUTION = ClockKind.values
RUNNING, PAUSED, MET, BREACHED, VOID, UNTIMED = ClockState.values


@dataclass(frozen=True)
class Targets:
    """Business minutes per clock kind; None means no clock of that kind is judged."""

    first_response: int | None = None
    next_response: int | None = None
    update: int | None = None
    resolution: int | None = None

    def for_kind(self, kind):
        return getattr(self, kind)


@dataclass(frozen=True)
class Communication:
    occurred_at: datetime
    id: int
    inbound: bool
    needs_response: bool = False


@dataclass(frozen=True)
class Lifecycle:
    """resolved / reopened / cancelled, or reclassified with the new targets."""

    occurred_at: datetime
    id: int
    kind: str
    targets: Targets | None = None


@dataclass
class ClockResult:
    kind: str
    started_at: datetime
    target: int | None
    stopped_at: datetime | None = None
    due_at: datetime | None = None
    state: str = RUNNING
    used_minutes: int = 0
    late_minutes: int | None = None
    outcome_at: datetime | None = None
    warning_at: datetime | None = None
    escalations: list = field(default_factory=list)  # [(step, role, fire_at)]


@dataclass
class Result:
    clocks: list
    first_response_minutes: int | None  # the request's FRT, when an inbound stopped the cycle
    sponsor_wait_minutes: int


# Ties within one minute (SPEC §3 edge 15): communications first, by id, then lifecycle
# events, by id; the CDMO's answer counts before the request is closed. Pause bounds need no
# place in this order: pauses are cut out minute by minute, and a stopped clock counts only
# the pauses before its stop minute (`_Replay.pauses_until`), so a pause beginning or ending
# in the minute of an event changes nothing of that event's clocks either way.
_RANK = {"communication": 0, "lifecycle": 1}


def replay(
    *,
    calendar,
    opened_at,
    raised_by_cdmo,
    targets,
    communications,
    lifecycle,
    pauses,
    now,
    warning_lead=None,
    escalation_steps=(),
):
    """Every clock of one request as of `now`.

    `pauses` are (start, end-or-None) pairs; `targets` are those in force at opening;
    `lifecycle` events may carry new targets (reclassified) for clocks that start later.
    """
    now = clock.truncate(now)
    opened_at = clock.truncate(opened_at)
    pauses = [(clock.truncate(s), clock.truncate(e) if e else None) for s, e in pauses]
    events = sorted(
        [(clock.truncate(c.occurred_at), _RANK["communication"], c.id, c) for c in communications]
        + [(clock.truncate(e.occurred_at), _RANK["lifecycle"], e.id, e) for e in lifecycle],
        key=lambda item: item[:3],
    )
    state = _Replay(calendar, pauses, now, warning_lead, escalation_steps, targets)
    state.open(opened_at, raised_by_cdmo)
    for at, _, _, event in events:
        if at > now:
            break
        if isinstance(event, Communication):
            state.communication(at, event)
        else:
            state.lifecycle(at, event)
    state.finish()
    return Result(
        clocks=state.clocks,
        first_response_minutes=state.first_response_minutes,
        sponsor_wait_minutes=sponsor_wait(calendar, pauses, now),
    )


def sponsor_wait(calendar, pauses, now):
    """Business minutes spent paused; an open pause counts up to now."""
    total = 0
    for start, end in pauses:
        total += clock.working_minutes(calendar, start, min(end or now, now))
    return total


class _Replay:
    def __init__(self, calendar, pauses, now, warning_lead, escalation_steps, targets):
        self.calendar = calendar
        self.pauses = pauses
        self.now = now
        self.warning_lead = warning_lead
        self.escalation_steps = list(escalation_steps)
        self.targets = targets
        self.clocks = []
        self.cycle = None
        self.gap = None
        self.resolution = None
        self.first_resolution = None
        self.is_open = True
        self.answered = False
        self.first_response_minutes = None  # set when an inbound stops the first cycle

    def start(self, kind, at):
        result = ClockResult(kind=kind, started_at=at, target=self.targets.for_kind(kind))
        self.clocks.append(result)
        return result

    def open(self, at, raised_by_cdmo):
        self.resolution = self.first_resolution = self.start(RESOLUTION, at)
        if raised_by_cdmo:
            self.answered = True
            self.gap = self.start(UPDATE, at)
        else:
            self.cycle = self.start(FIRST_RESPONSE, at)

    def communication(self, at, event):
        if not self.is_open:
            return  # logged on a closed request: stops nothing
        if event.inbound:
            if self.cycle:
                self.stop(self.cycle, at)
                if self.cycle.kind == FIRST_RESPONSE:
                    self.first_response_minutes = self.cycle.used_minutes
                self.cycle = None
            self.answered = True
            if self.gap and self.gap.started_at == at:
                return  # e.g. the inbound that opened the request: its gap is already running
            if self.gap:
                self.stop(self.gap, at)
            self.gap = self.start(UPDATE, at)
        elif event.needs_response and self.cycle is None:
            kind = NEXT_RESPONSE
            self.cycle = self.start(kind, at)

    def lifecycle(self, at, event):
        if event.kind == "reclassified":
            self.targets = event.targets or self.targets
        elif event.kind in ("resolved", "cancelled") and self.is_open:
            for running in (self.cycle, self.gap):
                if running:
                    self.close_unfinished(running, at)
            self.cycle = self.gap = None
            if event.kind == "resolved":
                self.stop(self.resolution, at)
            else:
                self.close_unfinished(self.resolution, at)
            self.resolution = None
            self.is_open = False
        elif event.kind == "reopened" and not self.is_open:
            self.is_open = True
            self.resolution = self.start(RESOLUTION, at)
            if self.answered:
                self.gap = self.start(UPDATE, at)

    def pauses_until(self, at):
        """The pauses as they stood at `at`: begun before it, and ended there at the latest.

        A stopped clock's due time is fixed at its stop (SPEC §3 edge 14): a pause beginning
        later does not move it, and one still open at the stop does not erase it.
        """
        return [(start, min(end or at, at)) for start, end in self.pauses if start < at]

    def pauses_of(self, result):
        return self.pauses if result.stopped_at is None else self.pauses_until(result.stopped_at)

    def due(self, result):
        if result.target is None:
            return None
        return clock.due_at(self.calendar, result.started_at, result.target, self.pauses_of(result))

    def is_empty_and_unrecorded(self, result, at):
        """An update gap or a reopened resolution clock stopped in its start minute (edge 15).

        Response cycles and the first resolution clock are recorded however short: met in 0.
        """
        if result.started_at != at:
            return False
        return result.kind == UPDATE or (
            result.kind == RESOLUTION and result is not self.first_resolution
        )

    def stop(self, result, at):
        """The clock stopped at `at`: met if at or before its due time, else breached."""
        if self.is_empty_and_unrecorded(result, at):
            self.clocks.remove(result)
            return
        result.stopped_at = at
        result.used_minutes = clock.working_minutes(
            self.calendar, result.started_at, at, self.pauses
        )
        if result.target is None:
            result.state = UNTIMED
            return
        result.due_at = self.due(result)
        if at <= result.due_at:
            result.state, result.outcome_at = MET, at
        else:
            result.state, result.outcome_at = BREACHED, result.due_at
            result.late_minutes = clock.working_minutes(
                self.calendar, result.due_at, at, self.pauses
            )
        self.schedule(result)

    def close_unfinished(self, result, at):
        """Resolve or cancel ends a clock: void before its due time, breached after it."""
        if self.is_empty_and_unrecorded(result, at):
            self.clocks.remove(result)
            return
        result.stopped_at = at
        result.used_minutes = clock.working_minutes(
            self.calendar, result.started_at, at, self.pauses
        )
        if result.target is None:
            result.state = UNTIMED
            return
        result.due_at = self.due(result)
        if at > result.due_at:
            result.state, result.outcome_at = BREACHED, result.due_at
        else:
            result.state = VOID
        self.schedule(result)

    def finish(self):
        for result in (self.cycle, self.gap, self.resolution):
            if result is None:
                continue
            result.used_minutes = clock.working_minutes(
                self.calendar, result.started_at, self.now, self.pauses
            )
            if result.target is None:
                result.state = UNTIMED
                continue
            result.due_at = self.due(result)
            if result.due_at is None:
                result.state = PAUSED
            elif self.now > result.due_at:
                result.state, result.outcome_at = BREACHED, result.due_at
            elif self._paused_now():
                result.state = PAUSED
            else:
                result.state = RUNNING
            self.schedule(result)
        self.clocks = _one_per_key(self.clocks)

    def _paused_now(self):
        return any(
            start <= self.now and (end is None or end > self.now) for start, end in self.pauses
        )

    def schedule(self, result):
        """Warning and escalation instants; an escalation only while the clock is open then."""
        if result.target is None:
            return
        pauses = self.pauses_of(result)
        if self.warning_lead and self.warning_lead < result.target:
            result.warning_at = clock.due_at(
                self.calendar, result.started_at, result.target - self.warning_lead, pauses
            )
            if result.warning_at and result.stopped_at and result.warning_at > result.stopped_at:
                result.warning_at = None
        if result.due_at is None or result.state not in (BREACHED, RUNNING):
            return
        for step, spec in enumerate(self.escalation_steps, start=1):
            fire_at = clock.due_at(self.calendar, result.due_at, spec["after_minutes"], pauses)
            if fire_at is None or (result.stopped_at and fire_at > result.stopped_at):
                continue
            result.escalations.append((step, spec["role"], fire_at))


def _one_per_key(clocks):
    """One clock per (kind, start), the key they are stored by: the latest.

    A clock stopped in the minute it started (a cycle answered at once, the first resolution
    clock) gives way to a successor of its kind started in that same minute, which is owed.
    """
    latest = {(c.kind, c.started_at): index for index, c in enumerate(clocks)}
    return [c for index, c in enumerate(clocks) if latest[(c.kind, c.started_at)] == index]
