"""A worker killed with SIGKILL in the middle of a recompute leaves nothing half-written.

The worker is a real `celery worker` process on the Redis broker. The test holds the request's
row lock so the worker's recompute is caught inside its transaction, kills the worker with
kill -9, and checks that the database holds no partial result; the sweep then finishes the job.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from cdmo_portal.celery import app
from engagements import services
from engagements.models import Request
from scorecards import sweep
from scorecards.models import Clock
from scorecards.tasks import recompute_request_clocks

from .test_project_activity import wait_until
from .test_sla_requests import make_policy

ROOT = Path(__file__).resolve().parent.parent


def _waiting_locks():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_recompute_leaves_nothing_half_written(project, manager, sponsor):
    assert connection.vendor == "postgresql", "this test needs PostgreSQL row locks"
    make_policy(sponsor, effective_from=timezone.now() - timezone.timedelta(days=1))
    saved_eager = app.conf.task_always_eager
    app.conf.task_always_eager = True  # opening the request computes nothing in the worker yet
    request = services.request_open(
        project=project,
        by=manager,
        title="Killed mid-task",
        opened_at=timezone.now() - timezone.timedelta(hours=3),
        category="question",
        priority="normal",
    )
    Clock.objects.all().delete()
    Request.objects.filter(pk=request.pk).update(clocks_stale=True, clocks_fingerprint="")
    app.conf.task_always_eager = saved_eager

    queue = f"killed-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cdmo_portal.settings.production_like_worker",
        "DATABASE_URL": "postgres://{}@{}:{}/{}".format(
            db["USER"], db["HOST"] or "127.0.0.1", db["PORT"] or 5432, db["NAME"]
        ),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_QUEUE": queue,
    }
    worker = subprocess.Popen(  # noqa: S603 - our own worker, arguments fixed above
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cdmo_portal",
            "worker",
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "--loglevel",
            "WARNING",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with transaction.atomic():
            Request.objects.select_for_update().get(pk=request.pk)
            app.conf.update(task_always_eager=False, broker_url=settings.REDIS_URL)
            recompute_request_clocks.apply_async(args=[request.pk], queue=queue)
            assert wait_until(lambda: _waiting_locks() > 0, timeout=60), "worker never blocked"
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
    finally:
        app.conf.task_always_eager = saved_eager
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
    time.sleep(0.5)
    assert not Clock.objects.filter(request=request).exists()
    assert Request.objects.get(pk=request.pk).clocks_stale
    summary = sweep.run()
    assert summary["stale"] == 1
    assert Clock.objects.filter(request=request, kind="first_response").exists()
    assert not Request.objects.get(pk=request.pk).clocks_stale
