"""Load a request's facts, replay them into clocks (scorecards.sla), store the results.

Idempotent: the request row is locked for the whole recompute, clocks are replaced whole,
breaches and notices are upserted on their unique keys, and a breach that no longer holds is
withdrawn (kept), never deleted. `recompute` does one request (after each change to it);
`recompute_all` does every request, a batch at a time (after the rules changed: the
`recompute_clocks` command).
"""

import hashlib
from collections import Counter

from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from engagements.models import Communication, Pause, PolicyTarget, Request, RequestEvent
from engagements.terms import calendar_from

from . import clock, sla
from .models import Breach, Clock, Notice, NoticeKind


def replay_request(request, now, facts=None):
    """The clocks of one request, from its stored facts, as of `now`.

    `facts` as `load_facts` returns them for this request; loaded here when not given.
    """
    if facts is None:
        facts = load_facts([request])[request.pk]
    version = request.policy_version
    targets, communications, lifecycle, pauses = facts
    reclassified = any(event.kind == RequestEvent.Kind.RECLASSIFIED for event in lifecycle)
    category, priority = (
        _opening_classification(request) if reclassified else (request.category, request.priority)
    )
    return sla.replay(
        calendar=calendar_from(request.calendar_snapshot),
        opened_at=request.opened_at,
        raised_by_cdmo=request.raised_by_cdmo,
        targets=_targets(targets, category, priority),
        communications=communications,
        lifecycle=lifecycle,
        pauses=pauses,
        now=now,
        warning_lead=version.warning_lead_minutes if version else None,
        escalation_steps=version.escalation_steps if version else (),
    )


def load_facts(requests):
    """{request id: (policy targets, communications, lifecycle events, pauses)}, four queries.

    Facts are read as tuples, not model instances: a year-old request has hundreds of rows
    and this runs for every change to it.
    """
    ids = [request.pk for request in requests]
    by_version = {}
    version_ids = {request.policy_version_id for request in requests} - {None}
    if version_ids:
        for target in PolicyTarget.objects.filter(version_id__in=version_ids):
            by_version.setdefault(target.version_id, []).append(target)
    communications, lifecycle, pauses = {}, {}, {}
    through = Communication.requests.through.objects.filter(request_id__in=ids)
    for request_id, occurred_at, pk, direction, needs_response in through.values_list(
        "request_id",
        "communication__occurred_at",
        "communication_id",
        "communication__direction",
        "communication__needs_response",
    ):
        communications.setdefault(request_id, []).append(
            sla.Communication(occurred_at, pk, direction == "inbound", needs_response)
        )
    events = RequestEvent.objects.filter(request_id__in=ids)
    for request_id, pk, kind, occurred_at, category, priority in events.values_list(
        "request_id", "id", "kind", "occurred_at", "category", "priority"
    ):
        lifecycle.setdefault(request_id, []).append((pk, kind, occurred_at, category, priority))
    for request_id, started_at, ended_at in (
        Pause.objects.filter(request_id__in=ids)
        .order_by("started_at")
        .values_list("request_id", "started_at", "ended_at")
    ):
        pauses.setdefault(request_id, []).append((started_at, ended_at))
    facts = {}
    for request in requests:
        targets = by_version.get(request.policy_version_id, [])
        facts[request.pk] = (
            targets,
            communications.get(request.pk, []),
            [
                sla.Lifecycle(
                    occurred_at,
                    pk,
                    kind,
                    _targets(targets, category, priority)
                    if kind == RequestEvent.Kind.RECLASSIFIED
                    else None,
                )
                for pk, kind, occurred_at, category, priority in lifecycle.get(request.pk, [])
            ],
            pauses.get(request.pk, []),
        )
    return facts


def _targets(rows, category, priority):
    """The targets of (category, priority) among a version's target rows."""
    for target in rows:
        if target.category == category and target.priority == priority:
            return sla.Targets(**{kind: target.minutes(kind) for kind in sla.ClockKind.values})
    return sla.Targets()


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
            pairs = [(request, result.clocks)]
            _store_clocks(pairs)
            _store_breaches(pairs, now)
            _store_notices(pairs)
        Request.objects.filter(pk=request.pk).update_computed(
            clocks_stale=False, clocks_fingerprint=fingerprint
        )
        return result


def recompute_all(*, now=None, batch=500):
    """Recompute and store the clocks of every request, `batch` requests per transaction.

    For when the rules themselves changed (SPEC §3 edges 13-15): set-based, each batch locked,
    loaded in a few queries, replayed in Python and written in bulk; only requests whose result
    changed have their breaches and notices rewritten. Returns (requests, requests whose clock
    rows changed, clock rows created, updated or deleted).
    """
    now = clock.truncate(now or timezone.now())
    requests = changed_requests = changed_clocks = 0
    last = 0
    while True:
        ids = list(
            Request.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return requests, changed_requests, changed_clocks
        written = recompute_batch(ids, now)
        requests += len(ids)
        changed_requests += len(written)
        changed_clocks += sum(written.values())
        last = ids[-1]


def recompute_batch(request_ids, now):
    """Recompute the given requests in one transaction.

    Returns {request id: clock rows created, updated or deleted} for the requests written.
    """
    with transaction.atomic():
        requests = list(
            Request.objects.select_for_update(of=("self",))
            .select_related("policy_version")
            .filter(pk__in=request_ids)
            .order_by("pk")
        )
        facts = load_facts(requests)
        changed, stale = [], []
        for request in requests:
            result = replay_request(request, now, facts[request.pk])
            fingerprint = _fingerprint(result.clocks)
            if fingerprint != request.clocks_fingerprint:
                changed.append((request, result, fingerprint))
            elif request.clocks_stale:
                stale.append(request.pk)
        pairs = [(request, result.clocks) for request, result, _ in changed]
        rows = _store_clocks(pairs)
        _store_breaches(pairs, now)
        _store_notices(pairs)
        if changed:
            changed_ids = [request.pk for request, _, _ in changed]
            Request.objects.filter(pk__in=changed_ids).update_computed(
                clocks_stale=False,
                clocks_fingerprint=Case(
                    *(When(pk=request.pk, then=Value(fp)) for request, _, fp in changed)
                ),
            )
        if stale:
            Request.objects.filter(pk__in=stale).update_computed(clocks_stale=False)
        return rows


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


def _store_clocks(pairs):
    """Write only what changed, for (request, clock results) pairs.

    A year-old request mostly recomputes to the same rows. One query reads the stored clocks
    of every request given, then one delete, one bulk update and one bulk insert at most.
    Returns {request id: clock rows created, updated or deleted} for the requests written.
    """
    if not pairs:
        return {}
    existing = {
        (row[1], row[2], row[3]): (row[0], row[4:])
        for row in Clock.objects.filter(request_id__in=[r.pk for r, _ in pairs]).values_list(
            "id", "request_id", "kind", "started_at", *CLOCK_FIELDS
        )
    }
    new, changed, seen = [], [], set()
    for request, results in pairs:
        for result in results:
            key = (request.pk, result.kind, result.started_at)
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
    gone = [(key[0], pk) for key, (pk, _) in existing.items() if key not in seen]
    written = Counter(request_id for request_id, _ in gone)
    written.update(row.request_id for row in new)
    request_of = {pk: request_id for (request_id, _, _), (pk, _) in existing.items()}
    written.update(request_of[row.id] for row in changed)
    if gone:
        Clock.objects.filter(id__in=[pk for _, pk in gone]).delete()
    if changed:
        Clock.objects.bulk_update(changed, CLOCK_FIELDS, batch_size=500)
    if new:
        Clock.objects.bulk_create(new, batch_size=500)
    return dict(written)


def _store_breaches(pairs, now):
    """Upsert the breaches of (request, clock results) pairs; withdraw those that no longer hold.

    One query reads the breaches of every request given, one bulk insert adds the new ones;
    a breach that changes (withdrawn, or breached again) is saved on its own, with its reason.
    """
    if not pairs:
        return
    existing = {
        (b.request_id, b.clock_kind, b.clock_started_at): b
        for b in Breach.objects.filter(request_id__in=[r.pk for r, _ in pairs])
    }
    breached, new = {}, []
    for request, results in pairs:
        for result in results:
            if result.state == sla.BREACHED:
                breached[(request.pk, result.kind, result.started_at)] = (request, result)
    for key, (request, result) in breached.items():
        breach = existing.get(key)
        if breach is None:
            new.append(
                Breach(
                    sponsor_id=request.sponsor_id,
                    request_id=request.pk,
                    clock_kind=result.kind,
                    clock_started_at=result.started_at,
                    breached_at=result.due_at,
                )
            )
        elif breach.withdrawn_at or breach.breached_at != result.due_at:
            breach.withdrawn_at, breach.withdrawn_reason = None, ""
            breach.breached_at = result.due_at
            breach.save()
    if new:
        Breach.objects.bulk_create(new)
    for key, breach in existing.items():
        if key not in breached and breach.withdrawn_at is None:
            breach.withdrawn_at = now
            breach.withdrawn_reason = "No longer breached after the log changed."
            breach._change_reason = breach.withdrawn_reason
            breach.save()


def _store_notices(pairs):
    """Schedule warnings, breach notices and escalation steps; sent ones are never touched.

    For (request, clock results) pairs: one read, one delete and one bulk insert at most.
    """
    if not pairs:
        return
    wanted = {}
    for request, results in pairs:
        for r in results:
            key = (request.pk, r.kind, r.started_at)
            if r.warning_at:  # the replay keeps only warnings reached while the clock ran
                wanted[(*key, NoticeKind.WARNING, 0)] = (request, "owner", r.warning_at)
            if r.state in (sla.BREACHED, sla.RUNNING):
                # Running: scheduled ahead; the sweep marks the clock breached at its due
                # time and sends it.
                wanted[(*key, NoticeKind.BREACH, 0)] = (request, "owner", r.due_at)
                for step, role, fire_at in r.escalations:
                    wanted[(*key, NoticeKind.ESCALATION, step)] = (request, role, fire_at)
    existing = {
        row[1:6]: row
        for row in Notice.objects.filter(request_id__in=[r.pk for r, _ in pairs]).values_list(
            "id",
            "request_id",
            "clock_kind",
            "clock_started_at",
            "kind",
            "step",
            "fire_at",
            "claimed_at",
        )
    }
    # Unclaimed notices that no longer apply go; claimed or sent ones are history.
    stale = [row[0] for key, row in existing.items() if row[7] is None and key not in wanted]
    if stale:
        Notice.objects.filter(id__in=stale, claimed_at__isnull=True).delete()
    new = []
    for key, (request, role, fire_at) in wanted.items():
        row = existing.get(key)
        if row is None:
            _, kind, started_at, notice_kind, step = key
            new.append(
                Notice(
                    sponsor_id=request.sponsor_id,
                    request_id=request.pk,
                    clock_kind=kind,
                    clock_started_at=started_at,
                    kind=notice_kind,
                    step=step,
                    role=role,
                    fire_at=fire_at,
                )
            )
        elif row[7] is None and row[6] != fire_at:
            Notice.objects.filter(id=row[0], claimed_at__isnull=True).update(fire_at=fire_at)
    if new:
        Notice.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
