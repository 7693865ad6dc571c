"""Load a request's facts, replay them into clocks (scorecards.sla), store the results.

Idempotent: the request row is locked for the whole recompute, clocks are replaced whole,
breaches and notices are upserted on their unique keys, and a breach that no longer holds is
withdrawn (kept), never deleted.
"""

import hashlib

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from engagements.models import Communication, Pause, Request, RequestEvent
from engagements.terms import calendar_from

from . import clock, sla
from .models import Breach, Clock, Notice, NoticeKind


def replay_request(request, now):
    """The clocks of one request, from its stored facts, as of `now`.

    Facts are read as tuples, not model instances: a year-old request has hundreds of rows
    and this runs for every change to it.
    """
    version = request.policy_version
    if version is not None:  # one query for every target lookup below
        prefetch_related_objects([version], "targets")
    through = Communication.requests.through.objects.filter(request_id=request.pk)
    communications = [
        sla.Communication(occurred_at, pk, direction == "inbound", needs_response)
        for occurred_at, pk, direction, needs_response in through.values_list(
            "communication__occurred_at",
            "communication_id",
            "communication__direction",
            "communication__needs_response",
        )
    ]
    lifecycle = [
        sla.Lifecycle(
            occurred_at,
            pk,
            kind,
            _targets(version, category, priority)
            if kind == RequestEvent.Kind.RECLASSIFIED
            else None,
        )
        for pk, kind, occurred_at, category, priority in RequestEvent.objects.filter(
            request_id=request.pk
        ).values_list("id", "kind", "occurred_at", "category", "priority")
    ]
    pauses = list(
        Pause.objects.filter(request_id=request.pk)
        .order_by("started_at")
        .values_list("started_at", "ended_at")
    )
    reclassified = any(event.kind == RequestEvent.Kind.RECLASSIFIED for event in lifecycle)
    category, priority = (
        _opening_classification(request) if reclassified else (request.category, request.priority)
    )
    return sla.replay(
        calendar=calendar_from(request.calendar_snapshot),
        opened_at=request.opened_at,
        raised_by_cdmo=request.raised_by_cdmo,
        targets=_targets(version, category, priority),
        communications=communications,
        lifecycle=lifecycle,
        pauses=pauses,
        now=now,
        warning_lead=version.warning_lead_minutes if version else None,
        escalation_steps=version.escalation_steps if version else (),
    )


def _targets(version, category, priority):
    target = version.target_for(category, priority) if version else None
    if target is None:
        return sla.Targets()
    return sla.Targets(**{kind: target.minutes(kind) for kind in sla.ClockKind.values})


def _opening_classification(request):
    """(category, priority) at opening, read from the audit trail of the request.

    Only needed once the request was reclassified (through the request page, which records a
    RequestEvent); otherwise the current values are the opening ones.
    """
    first = (
        request.history.order_by("history_date", "history_id")
        .values_list("category", "priority")
        .first()
    )
    return first or (request.category, request.priority)


def recompute(request_id, now=None):
    """Recompute and store one request's clocks, breaches and notices. Idempotent."""
    now = clock.truncate(now or timezone.now())
    with transaction.atomic():
        # The row lock serialises concurrent recomputes of one request (worker and sweep).
        request = (
            Request.objects.select_for_update(of=("self",))
            .select_related("policy_version")
            .filter(pk=request_id)
            .first()
        )
        if request is None:
            return None
        result = replay_request(request, now)
        fingerprint = _fingerprint(result.clocks)
        if fingerprint != request.clocks_fingerprint:
            _store_clocks(request, result.clocks)
            _store_breaches(request, result.clocks, now)
            _store_notices(request, result.clocks)
        Request.objects.filter(pk=request.pk).update_computed(
            clocks_stale=False, clocks_fingerprint=fingerprint
        )
        return result


def _fingerprint(results):
    """What the stored rows depend on; a running clock's minutes so far are read live."""
    digest = hashlib.sha1(usedforsecurity=False)
    for r in results:
        used = r.used_minutes if r.stopped_at else None
        digest.update(
            repr(
                (
                    r.kind,
                    r.started_at,
                    used,
                    _clock_values(r)[:4],
                    r.late_minutes,
                    r.outcome_at,
                    r.warning_at,
                    r.escalations,
                )
            ).encode()
        )
    return digest.hexdigest()


CLOCK_FIELDS = (
    "stopped_at",
    "target_minutes",
    "due_at",
    "state",
    "used_minutes",
    "late_minutes",
    "outcome_at",
    "warning_at",
)


def _clock_values(result):
    return (
        result.stopped_at,
        result.target,
        result.due_at,
        result.state,
        result.used_minutes if result.stopped_at else 0,
        result.late_minutes,
        result.outcome_at,
        result.warning_at,
    )


def _store_clocks(request, results):
    """Write only what changed: a year-old request mostly recomputes to the same rows."""
    existing = {
        (row[1], row[2]): (row[0], row[3:])
        for row in Clock.objects.filter(request=request).values_list(
            "id", "kind", "started_at", *CLOCK_FIELDS
        )
    }
    new, changed, seen = [], [], set()
    for result in results:
        key = (result.kind, result.started_at)
        seen.add(key)
        values = _clock_values(result)
        if key not in existing:
            new.append(
                Clock(
                    sponsor_id=request.sponsor_id,
                    request_id=request.pk,
                    kind=result.kind,
                    started_at=result.started_at,
                    **dict(zip(CLOCK_FIELDS, values, strict=True)),
                )
            )
        elif existing[key][1] != values:
            changed.append(
                Clock(id=existing[key][0], **dict(zip(CLOCK_FIELDS, values, strict=True)))
            )
    gone = [pk for key, (pk, _) in existing.items() if key not in seen]
    if gone:
        Clock.objects.filter(id__in=gone).delete()
    if changed:
        Clock.objects.bulk_update(changed, CLOCK_FIELDS)
    if new:
        Clock.objects.bulk_create(new)


def _store_breaches(request, results, now):
    breached = {(r.kind, r.started_at): r for r in results if r.state == sla.BREACHED}
    existing = {(b.clock_kind, b.clock_started_at): b for b in request.breaches.all()}
    for key, result in breached.items():
        breach = existing.get(key)
        if breach is None:
            Breach.objects.create(
                sponsor_id=request.sponsor_id,
                request=request,
                clock_kind=result.kind,
                clock_started_at=result.started_at,
                breached_at=result.due_at,
            )
        elif breach.withdrawn_at or breach.breached_at != result.due_at:
            breach.withdrawn_at, breach.withdrawn_reason = None, ""
            breach.breached_at = result.due_at
            breach.save()
    for key, breach in existing.items():
        if key not in breached and breach.withdrawn_at is None:
            breach.withdrawn_at = now
            breach.withdrawn_reason = "No longer breached after the log changed."
            breach._change_reason = breach.withdrawn_reason
            breach.save()


def _store_notices(request, results):
    """Schedule warnings, breach notices and escalation steps; sent ones are never touched."""
    wanted = {}
    for r in results:
        if r.warning_at:  # the replay keeps only warnings reached while the clock ran
            wanted[(r.kind, r.started_at, NoticeKind.WARNING, 0)] = ("owner", r.warning_at)
        if r.state == sla.BREACHED:
            wanted[(r.kind, r.started_at, NoticeKind.BREACH, 0)] = ("owner", r.due_at)
            for step, role, fire_at in r.escalations:
                wanted[(r.kind, r.started_at, NoticeKind.ESCALATION, step)] = (role, fire_at)
        elif r.state == sla.RUNNING:
            # Scheduled ahead: the sweep marks the clock breached at its due time and sends it.
            wanted[(r.kind, r.started_at, NoticeKind.BREACH, 0)] = ("owner", r.due_at)
            for step, role, fire_at in r.escalations:
                wanted[(r.kind, r.started_at, NoticeKind.ESCALATION, step)] = (role, fire_at)
    existing = {
        row[1:5]: row
        for row in Notice.objects.filter(request=request).values_list(
            "id", "clock_kind", "clock_started_at", "kind", "step", "fire_at", "claimed_at"
        )
    }
    # Unclaimed notices that no longer apply go; claimed or sent ones are history.
    stale = [row[0] for key, row in existing.items() if row[6] is None and key not in wanted]
    if stale:
        Notice.objects.filter(id__in=stale, claimed_at__isnull=True).delete()
    new = []
    for key, (role, fire_at) in wanted.items():
        row = existing.get(key)
        if row is None:
            kind, started_at, notice_kind, step = key
            new.append(
                Notice(
                    sponsor_id=request.sponsor_id,
                    request=request,
                    clock_kind=kind,
                    clock_started_at=started_at,
                    kind=notice_kind,
                    step=step,
                    role=role,
                    fire_at=fire_at,
                )
            )
        elif row[6] is None and row[5] != fire_at:
            Notice.objects.filter(id=row[0], claimed_at__isnull=True).update(fire_at=fire_at)
    if new:
        Notice.objects.bulk_create(new, ignore_conflicts=True)
