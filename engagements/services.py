"""Writes that span several models. Views call these; each runs in one transaction.

Every write to a project's communications marks the project's computed figures stale in the
same transaction and enqueues their recomputation after commit (see cdmo_portal.queue).
"""

from django.db import transaction
from django.utils import timezone

from cdmo_portal.queue import enqueue_on_commit
from scorecards import activity
from scorecards.tasks import recompute_project_activity

from .models import Communication, Request


def _communication_log_changed(project):
    activity.mark_stale(project)
    enqueue_on_commit(recompute_project_activity, project.pk)


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
):
    """Log one interaction; optionally open a request from it and attach it to open ones."""
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
    )
    if participants:
        communication.participants.set(participants)
    requests = list(attach_to)
    if open_request:
        requests.append(
            Request.objects.create(
                project=project,
                sponsor_id=project.sponsor_id,
                title=subject,
                category=request_category,
                priority=request_priority,
                opened_at=occurred_at,
                opened_by=by,
            )
        )
    if requests:
        communication.requests.set(requests)
    _communication_log_changed(project)
    return communication


@transaction.atomic
def communication_update(*, communication, by, reason="", **changes):
    """Change a logged communication; `participants` and `requests` replace the current sets."""
    participants = changes.pop("participants", None)
    requests = changes.pop("requests", None)
    for name, value in changes.items():
        setattr(communication, name, value)
    if reason:
        communication._change_reason = reason
    communication.save()
    if participants is not None:
        communication.participants.set(participants)
    if requests is not None:
        communication.requests.set(requests)
    _communication_log_changed(communication.project)
    return communication


@transaction.atomic
def communication_delete(*, communication, by, reason):
    """Delete a communication; the audit trail keeps its last state and the reason."""
    project = communication.project
    communication._change_reason = reason
    communication.delete()
    _communication_log_changed(project)


def now_minute():
    return timezone.now().replace(second=0, microsecond=0)
