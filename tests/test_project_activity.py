"""The "last contact" figures: computed after commit by Celery, reconciled by the sweep.

Two tests run a real Celery worker on the Redis broker (REDIS_URL), as production does.
"""

import logging
import time
import uuid
from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.urls import reverse

from cdmo_portal.celery import app
from engagements import services
from engagements.models import Communication
from scorecards import activity, tasks
from scorecards.models import ProjectActivity

from .factories import CommunicationFactory, minutes_ago
from .test_communication_log import form_data


def test_it_recomputes_the_figures_from_the_log(project):
    inbound = CommunicationFactory(project=project, direction="inbound", occurred_at=minutes_ago(5))
    outbound = CommunicationFactory(project=project, occurred_at=minutes_ago(50))
    result = activity.recompute(project.pk)
    assert (result.last_contact_at, result.last_inbound_at, result.last_outbound_at) == (
        inbound.occurred_at,
        inbound.occurred_at,
        outbound.occurred_at,
    )
    assert result.communication_count == 2 and not result.is_stale


def test_it_is_idempotent(project):
    CommunicationFactory(project=project)
    first = activity.recompute(project.pk)
    second = activity.recompute(project.pk)
    assert ProjectActivity.objects.count() == 1
    assert (first.last_contact_at, first.communication_count) == (
        second.last_contact_at,
        second.communication_count,
    )


def test_it_ignores_a_deleted_project(db):
    assert activity.recompute(987654) is None


def test_the_sweep_recomputes_only_stale_projects(project):
    CommunicationFactory(project=project)
    activity.mark_stale(project)
    assert activity.stale_project_ids() == [project.pk]
    tasks.sweep_stale_project_activity()
    assert activity.stale_project_ids() == []
    assert ProjectActivity.objects.get(project=project).communication_count == 1


@contextmanager
def real_worker():
    """A Celery worker thread consuming a private queue on the real Redis broker."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    saved = {
        key: app.conf[key]
        for key in ("task_always_eager", "task_default_queue", "task_routes", "broker_url")
    }
    app.conf.update(
        task_always_eager=False,
        task_default_queue=queue,
        task_routes={"scorecards.tasks.*": {"queue": queue}},
        broker_url=settings.REDIS_URL,
    )
    try:
        with start_worker(app, queues=[queue], perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.update(saved)


@contextmanager
def broker_at(url):
    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.update(broker_url=url, task_always_eager=False)
    _reset_connections()
    try:
        yield
    finally:
        app.conf.update(broker_url=saved[0], task_always_eager=saved[1])
        _reset_connections()


def _reset_connections():
    """Drop the cached connection pools so the next publish connects to the current broker."""
    app._pool = None
    app.amqp._producer_pool = None


def wait_until(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_recomputes_after_the_log_commits(project, manager):
    assert settings.REDIS_URL.startswith("redis://"), "the worker test needs REDIS_URL"
    with real_worker():
        communication = services.communication_log(
            project=project,
            by=manager,
            channel="email",
            direction="inbound",
            occurred_at=minutes_ago(3),
            subject="CoA attached",
        )

        def computed():
            row = ProjectActivity.objects.filter(project=project, is_stale=False).first()
            return row is not None and row.last_contact_at == communication.occurred_at

        assert wait_until(computed), "the worker did not recompute the project's figures"


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_sweep_task(project):
    CommunicationFactory(project=project)
    activity.mark_stale(project)
    with real_worker():
        tasks.sweep_stale_project_activity.delay()
        assert wait_until(lambda: activity.stale_project_ids() == [])
    assert ProjectActivity.objects.get(project=project).communication_count == 1


@pytest.mark.django_db(transaction=True)
def test_a_write_succeeds_while_the_broker_is_down_and_the_sweep_reconciles(
    client, project, manager, caplog
):
    caplog.set_level(logging.WARNING, logger="cdmo_portal.queue")
    client.force_login(manager)
    url = reverse("project_detail", args=[project.sponsor.slug, project.pk])
    with broker_at("redis://127.0.0.1:1/0"):  # nothing listens on port 1
        started = time.monotonic()
        response = client.post(
            url, form_data(subject="Logged during outage"), HTTP_HX_REQUEST="true"
        )
        elapsed = time.monotonic() - started
    assert (
        response.status_code == 200 and "Logged “Logged during outage”" in response.content.decode()
    )
    assert Communication.objects.filter(subject="Logged during outage").exists()
    assert activity.stale_project_ids() == [project.pk]
    assert elapsed < 10, f"the write waited {elapsed:.1f}s on the dead broker"
    assert "left for the sweep" in caplog.text
    tasks.sweep_stale_project_activity()
    assert ProjectActivity.objects.get(project=project).communication_count == 1
