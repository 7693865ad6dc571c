"""Celery tasks: ids in, one function call, nothing else."""

from celery import shared_task

from . import activity, recompute, sweep


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def recompute_project_activity(project_id):
    activity.recompute(project_id)


@shared_task
def sweep_stale_project_activity():
    """Recompute every project whose figures are stale (e.g. an enqueue lost to a broker outage)."""
    for project_id in activity.stale_project_ids():
        activity.recompute(project_id)


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def recompute_request_clocks(request_id):
    recompute.recompute(request_id)


@shared_task
def sweep_sla():
    """Recompute stale and newly due requests, then send the notices that are due."""
    sweep.run()
