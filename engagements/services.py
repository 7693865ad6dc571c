"""Writes that span several models. Views call these; each runs in one transaction.

Every write to a project's communications or a request marks what scorecards computes from
it stale in the same transaction, visibly (scorecards.api.facts_changed), and the
recomputation runs after commit.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from audit.trail import ensure_unchanged
from scorecards.api import facts_changed

from .models import (
    Communication,
    Pause,
    PolicyTarget,
    PolicyVersion,
    Request,
    RequestEvent,
    SLAPolicy,
    Sponsor,
)
from .terms import calendar_snapshot, policy_version_for

# Earlier than this is a mistyped year, not history the portal holds. Year 1 in a zone east of
# UTC does not even survive the conversion to UTC: PostgreSQL stores it as 1 BC, which Python
# cannot read back (a 500 on every page showing it), and the SLA sweep failed on it.
EARLIEST_ENTRY = datetime(2000, 1, 1, tzinfo=UTC)


def future_tolerance():
    """How far ahead of the server's clock a typed time may be (the user's clock may run fast)."""
    return timedelta(minutes=settings.COMMUNICATION_FUTURE_TOLERANCE_MINUTES)


def check_time(at, what="That time", field=None):
    """Every typed instant: not in the future (beyond clock skew), not before 2000."""
    problem = None
    if at > timezone.now() + future_tolerance():
        problem = f"{what} is in the future; log interactions once they have happened."
    elif at < EARLIEST_ENTRY:
        problem = f"{what} is before 2000; check the year."
    if problem:
        raise ValidationError({field: problem} if field else problem)
    return at


def _check_attachable(occurred_at, requests):
    for request in requests:
        if occurred_at < request.opened_at:
            raise ValidationError(
                {
                    "requests": f"“{request.title}” was opened after this interaction; nothing "
                    "on a request may be dated before it opened."
                }
            )


def _resume_with(waiting, by, occurred_at):
    """End the pause of each request this message answers, at the message's time."""
    for request in waiting:
        pause = request.pauses.filter(ended_at__isnull=True).first()
        if pause and occurred_at < pause.started_at:
            raise ValidationError(
                {"resume": f"“{request.title}” was paused after this message was sent."}
            )
        try:
            request_resume(request=request, by=by, at=occurred_at)
        except ValidationError as error:
            raise ValidationError(
                {"resume": [f"“{request.title}”: {message}" for message in error.messages]}
            ) from error


def _submitted(sponsor_id, submission_key):
    """The communication a form with this key already logged, if one did."""
    return Communication.objects.filter(
        sponsor_id=sponsor_id, submission_key=submission_key
    ).first()


def _require_reason(reason, message, field="reason"):
    """The reason for deleting a record or editing a closed one; the trail keeps it."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: message})
    return reason


def request_open(*, project, by, title, opened_at, category, priority, raised_by_cdmo=False):
    """Open an ask with the SLA terms and calendar in force now, kept for its whole life."""
    if opened_at > timezone.now() + future_tolerance():
        raise ValidationError({"opened_at": "A request cannot be opened in the future."})
    version = policy_version_for(project, opened_at)
    request = Request.objects.create(
        project=project,
        sponsor_id=project.sponsor_id,
        title=title,
        category=category,
        priority=priority,
        opened_at=opened_at,
        opened_by=by,
        raised_by_cdmo=raised_by_cdmo,
        policy_version=version,
        calendar_snapshot=calendar_snapshot(version, project),
    )
    facts_changed(requests=[request])
    return request


@transaction.atomic
def communication_log(
    *,
    project,
    by,
    channel,
    direction,
    occurred_at,
    subject,
    summary="",
    participants=(),
    needs_response=False,
    attach_to=(),
    open_request=False,
    request_category=Request.Category.QUESTION,
    request_priority=Request.Priority.NORMAL,
    resume=(),
    submission_key=None,
):
    """Log one interaction; optionally open a request from it and attach it to open ones.

    `resume`: requests waiting on the sponsor that this message answers; their pause ends at
    the message's time (SPEC §3 edge 4: the form offers it for an ask logged during a pause).
    """
    if submission_key is not None:
        already = _submitted(project.sponsor_id, submission_key)
        if already is not None:
            return already
    check_time(occurred_at, field="occurred_at")
    _check_attachable(occurred_at, attach_to)
    if resume and direction != Communication.Direction.OUTBOUND:
        raise ValidationError({"resume": "Only the sponsor's own message can end its pause."})
    _resume_with(resume, by, occurred_at)
    try:
        with transaction.atomic():  # a savepoint: the key's unique index decides a race
            communication = Communication.objects.create(
                project=project,
                sponsor_id=project.sponsor_id,
                channel=channel,
                direction=direction,
                occurred_at=occurred_at,
                subject=subject,
                summary=summary,
                needs_response=needs_response,
                logged_by=by,
                submission_key=submission_key,
            )
    except IntegrityError:
        # The same form, submitted at the same moment, was logged by the other request: undo
        # what this one did (an ended pause) and answer with that one.
        already = _submitted(project.sponsor_id, submission_key) if submission_key else None
        if already is None:
            raise
        transaction.set_rollback(True)
        return already
    if participants:
        communication.participants.set(participants)
    requests = list(attach_to)
    if open_request:
        requests.append(
            request_open(
                project=project,
                by=by,
                title=subject,
                opened_at=occurred_at,
                category=request_category,
                priority=request_priority,
                raised_by_cdmo=direction == Communication.Direction.INBOUND,
            )
        )
    if requests:
        communication.requests.set(requests)
    facts_changed(project=project, requests=requests)
    return communication


@transaction.atomic
def communication_update(*, communication, by, reason="", seen_version=None, **changes):
    """Change a logged communication; `participants` and `requests` replace the current sets.

    One attached only to closed requests needs a reason, kept in the trail with the change.
    `seen_version`: the audit version the editor opened; a later one raises ChangedMeanwhile.
    """
    ensure_unchanged(communication, seen_version)
    participants = changes.pop("participants", None)
    requests = changes.pop("requests", None)
    if "occurred_at" in changes:
        check_time(changes["occurred_at"], field="occurred_at")
        _check_attachable(
            changes["occurred_at"],
            communication.requests.all() if requests is None else requests,
        )
    affected = set(communication.requests.all())
    if communication.is_closed:
        reason = _require_reason(reason, "It belongs to closed requests only: say why it changes.")
    for name, value in changes.items():
        setattr(communication, name, value)
    if reason:
        communication._change_reason = reason.strip()
    communication.save()
    if participants is not None:
        communication.participants.set(participants)
    if requests is not None:
        communication.requests.set(requests)
        affected |= set(requests)
    facts_changed(project=communication.project, requests=affected)
    return communication


@transaction.atomic
def communication_delete(*, communication, by, reason):
    """Delete a communication; the audit trail keeps its last state and the reason."""
    communication._change_reason = _require_reason(reason, "Say why it is deleted.")
    project = communication.project
    affected = list(communication.requests.all())
    communication.delete()
    facts_changed(project=project, requests=affected)


def now_minute():
    return timezone.now().replace(second=0, microsecond=0)


def _when(request, at, what):
    """The instant of a status change: now by default; never before opening, never future."""
    now = now_minute()
    at = (at or now).replace(second=0, microsecond=0)
    if at > now + future_tolerance():
        raise ValidationError({"at": f"{what} cannot be in the future."})
    if at < request.opened_at:
        raise ValidationError({"at": f"{what} cannot be before the request opened."})
    last = request.events.order_by("-occurred_at").values_list("occurred_at", flat=True).first()
    last_pause = request.pauses.order_by("-started_at").first()
    floor = max(
        [t for t in (last, last_pause and (last_pause.ended_at or last_pause.started_at)) if t],
        default=None,
    )
    if floor and at < floor:
        raise ValidationError({"at": f"{what} cannot be before the request's last change."})
    return at


def _locked(request):
    return Request.objects.select_for_update().get(pk=request.pk)


@transaction.atomic
def request_pause(*, request, by, reason_category, reason, at=None):
    """The request now waits on the sponsor: every CDMO clock stops until it resumes."""
    request = _locked(request)
    if request.status != Request.Status.OPEN:
        raise ValidationError("Only an open request can wait on the sponsor.")
    if not reason.strip():
        raise ValidationError({"reason": "Say what the CDMO is waiting for."})
    at = _when(request, at, "The pause")
    pause = Pause.objects.create(
        request=request,
        sponsor_id=request.sponsor_id,
        started_at=at,
        reason_category=reason_category,
        reason=reason.strip(),
        started_by=by,
    )
    request.status = Request.Status.WAITING_ON_SPONSOR
    request.save(update_fields=["status"])
    facts_changed(requests=[request])
    return pause


def _end_pause(request, by, at):
    pause = request.pauses.filter(ended_at__isnull=True).first()
    if pause:
        if at < pause.started_at:
            raise ValidationError({"at": "The pause cannot end before it started."})
        pause.ended_at, pause.ended_by = at, by
        pause.save(update_fields=["ended_at", "ended_by"])


@transaction.atomic
def request_resume(*, request, by, at=None):
    """The sponsor has supplied what was missing: the CDMO's clocks run again."""
    request = _locked(request)
    if request.status != Request.Status.WAITING_ON_SPONSOR:
        raise ValidationError("This request is not waiting on the sponsor.")
    at = _when(request, at, "The end of the pause")
    _end_pause(request, by, at)
    request.status = Request.Status.OPEN
    request.save(update_fields=["status"])
    facts_changed(requests=[request])
    return request


@transaction.atomic
def request_close(*, request, by, kind, at=None, note=""):
    """Resolve or cancel an open request (ending any pause at the same instant)."""
    request = _locked(request)
    if request.status not in Request.OPEN_STATUSES:
        raise ValidationError("This request is already closed.")
    at = _when(request, at, "Closing")
    _end_pause(request, by, at)
    RequestEvent.objects.create(
        request=request, sponsor_id=request.sponsor_id, kind=kind, occurred_at=at, note=note, by=by
    )
    if kind == RequestEvent.Kind.RESOLVED:
        request.status, request.resolved_at = Request.Status.RESOLVED, at
    else:
        request.status = Request.Status.CANCELLED
    request.save(update_fields=["status", "resolved_at"])
    facts_changed(requests=[request])
    return request


@transaction.atomic
def request_reopen(*, request, by, at=None, note=""):
    """Reopen a resolved request: a new resolution clock; earlier results stay.

    A closed record changes only with a reason: the note, kept in the trail.
    """
    request = _locked(request)
    if request.status != Request.Status.RESOLVED:
        raise ValidationError("Only a resolved request can be reopened.")
    note = _require_reason(note, "Say why the request is reopened.", field="note")
    at = _when(request, at, "Reopening")
    RequestEvent.objects.create(
        request=request,
        sponsor_id=request.sponsor_id,
        kind=RequestEvent.Kind.REOPENED,
        occurred_at=at,
        note=note,
        by=by,
    )
    request.status, request.resolved_at = Request.Status.OPEN, None
    request._change_reason = note
    request.save(update_fields=["status", "resolved_at"])
    facts_changed(requests=[request])
    return request


@transaction.atomic
def request_reclassify(*, request, by, category, priority, note=""):
    """Change category or priority: running clocks keep their targets, later ones use these.

    On a closed request only with a reason (the note), kept in the trail.
    """
    request = _locked(request)
    if (category, priority) == (request.category, request.priority):
        return request
    if not request.is_open:
        note = _require_reason(note, "The request is closed: say why it changes.", field="note")
        request._change_reason = note
    at = _when(request, None, "The change")
    RequestEvent.objects.create(
        request=request,
        sponsor_id=request.sponsor_id,
        kind=RequestEvent.Kind.RECLASSIFIED,
        occurred_at=at,
        category=category,
        priority=priority,
        note=note,
        by=by,
    )
    request.category, request.priority = category, priority
    request.save(update_fields=["category", "priority"])
    facts_changed(requests=[request])
    return request


# SLA terms: a policy edit is a new version, never a change in place ----------------------


@transaction.atomic
def policy_version_create(*, policy, by, data):
    """Add the next version of `policy` from a valid PolicyVersionForm's cleaned data."""
    policy = SLAPolicy.objects.select_for_update().get(pk=policy.pk)
    number = (policy.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = PolicyVersion.objects.create(
        sponsor_id=policy.sponsor_id,
        policy=policy,
        number=number,
        effective_from=data["effective_from"],
        calendar_kind=data["calendar_kind"],
        calendar=data.get("calendar") if data["calendar_kind"] == "sponsor" else None,
        source=data.get("source", ""),
        warning_lead_minutes=data.get("warning_lead"),
        escalation_steps=data["escalation_steps"],
        created_by=by,
    )
    PolicyTarget.objects.bulk_create(
        PolicyTarget(
            sponsor_id=policy.sponsor_id,
            version=version,
            category=category,
            priority=priority,
            **{PolicyTarget.COLUMNS[kind]: minutes for kind, minutes in values.items()},
        )
        for (category, priority), values in data["targets"].items()
    )
    return version


def _clear_default(sponsor_id):
    # The sponsor's row lock serialises "make default" and "create": two at once would both
    # clear the old default and then collide on the one-default constraint.
    Sponsor.objects.select_for_update().filter(pk=sponsor_id).first()
    # Row by row, not QuerySet.update(): every change to the configuration is audited.
    for current in SLAPolicy.objects.select_for_update().filter(
        sponsor_id=sponsor_id, is_default=True
    ):
        current.is_default = False
        current.save(update_fields=["is_default"])


@transaction.atomic
def policy_create(*, sponsor, name, make_default):
    """A new policy; the sponsor's first one is its default."""
    Sponsor.objects.select_for_update().filter(pk=sponsor.pk).first()
    if not SLAPolicy.objects.filter(sponsor=sponsor, is_default=True).exists():
        make_default = True
    if make_default:
        _clear_default(sponsor.pk)
    return SLAPolicy.objects.create(sponsor=sponsor, name=name, is_default=make_default)


@transaction.atomic
def policy_make_default(*, policy):
    _clear_default(policy.sponsor_id)
    policy.is_default = True
    policy.save(update_fields=["is_default"])
