"""Compute and store a project's contact figures; mark them stale when the log changes."""

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from engagements.models import Communication, Project

from .models import ProjectActivity


def mark_stale(project):
    """Flag the project's figures for recomputation, inside the caller's transaction."""
    ProjectActivity.objects.bulk_create(
        [ProjectActivity(project=project, sponsor_id=project.sponsor_id, is_stale=True)],
        update_conflicts=True,
        unique_fields=["project"],
        update_fields=["is_stale"],
    )


def recompute(project_id):
    """Recompute one project's figures from its communications. Idempotent."""
    with transaction.atomic():
        project = Project.objects.filter(pk=project_id).only("id", "sponsor_id").first()
        if project is None:
            return None
        # Lock the row so two concurrent recomputes serialise instead of interleaving.
        mark_stale(project)
        activity = ProjectActivity.objects.select_for_update().get(project=project)
        figures = Communication.objects.filter(
            sponsor_id=project.sponsor_id, project_id=project.id
        ).aggregate(
            last_contact_at=Max("occurred_at"),
            last_inbound_at=Max("occurred_at", filter=Q(direction="inbound")),
            last_outbound_at=Max("occurred_at", filter=Q(direction="outbound")),
            communication_count=Count("id"),
        )
        for name, value in figures.items():
            setattr(activity, name, value)
        activity.is_stale = False
        activity.computed_at = timezone.now()
        activity.save()
        return activity


def stale_project_ids(limit=1000):
    return list(
        ProjectActivity.objects.filter(is_stale=True)
        .order_by("project_id")
        .values_list("project_id", flat=True)[:limit]
    )
