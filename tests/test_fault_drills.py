"""Fault drills (issue 18): nothing lost, nothing doubled, 5xx only while the database is down.

Each drill starts the servers it breaks — SMTP (aiosmtpd), redis-server, PostgreSQL (initdb +
pg_ctl), a Celery worker, gunicorn — on free ports of 127.0.0.1, and stops them by pid; the
machine's shared services are never touched. Each prints one line of figures ("fault drill:
…"), which the README's Reliability table quotes; run `pytest -m faults -rP` to see them.
"""

import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
import zoneinfo
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlparse

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from engagements import services
from engagements.models import Communication, PolicyVersion, Request, Role
from scorecards import notify, sweep
from scorecards.models import DeliveryState, EmailDelivery, Notification
from scorecards.tasks import sweep_sla

from .factories import MembershipFactory, UserFactory
from .private_servers import (
    free_port,
    hung_smtp_server,
    postgres_server,
    redis_server,
    smtp_server,
    wait_for_port,
)
from .test_communication_log import HTMX, form_data
from .test_project_activity import broker_at
from .test_sla_requests import make_policy

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.faults,
    pytest.mark.xdist_group("faults"),
    pytest.mark.django_db(transaction=True),
]


def report(drill, **figures):
    line = ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in figures.items())
    print(f"fault drill: {drill}: {line}")


def escalating_policy(sponsor, effective_from):
    """First response in 2 h; the executives hear of a breach 30 minutes after it."""
    version = make_policy(sponsor, effective_from=effective_from)
    PolicyVersion.objects.filter(pk=version.pk).update(
        escalation_steps=[{"after_minutes": 30, "role": "executive"}]
    )
    return version


def breached_asks(project, manager, sponsor, opened_at, count):
    """`count` requests whose first response breached; 3 alerts each: owner + 2 executives."""
    escalating_policy(sponsor, effective_from=opened_at - timedelta(days=1))
    for _ in range(2):
        MembershipFactory(sponsor=sponsor, role=Role.EXECUTIVE, user=UserFactory())
    return [
        services.request_open(
            project=project,
            by=manager,
            title=f"Ask {n}",
            opened_at=opened_at,
            category="question",
            priority="normal",
        )
        for n in range(count)
    ]


def exactly_once(mailbox):
    """lost, doubled: e-mails expected but never accepted, and accepted more than once."""
    host = urlparse(settings.SITE_URL).hostname
    expected = {
        f"<notification-{pk}@{host}>"
        for pk in EmailDelivery.objects.values_list("notification_id", flat=True)
    }
    received = Counter(mailbox.message_ids())
    lost = len(expected - set(received))
    doubled = sum(n - 1 for n in received.values() if n > 1)
    assert set(received) <= expected
    return lost, doubled


# --- SMTP refusing, down and hung ------------------------------------------------------------


def test_drill_smtp_refusing_down_and_hung_then_each_alert_is_emailed_exactly_once(
    project, manager, sponsor
):
    opened = timezone.now() - timedelta(days=3)
    breached_asks(project, manager, sponsor, opened, count=4)
    moment = opened + timedelta(hours=4)
    faults = Counter()

    def sweep_at(minutes_later, expected_fault=None):
        nonlocal moment
        moment += timedelta(minutes=minutes_later)
        before = EmailDelivery.objects.exclude(last_error="").count()
        started = time.monotonic()
        summary = sweep.run(moment)
        if expected_fault:
            faults[expected_fault] += 1
            assert summary["emails"] == 0
            assert EmailDelivery.objects.exclude(last_error="").count() >= max(before, 1)
        return summary, time.monotonic() - started

    with smtp_server(started=False) as server:
        with override_settings(**server.settings(timeout=1)):
            sweep_at(0, "nothing listening")
            assert Notification.objects.count() == 12  # every alert is in the app at once
            assert EmailDelivery.objects.filter(state=DeliveryState.PENDING).count() == 12

            server.start()
            server.mailbox.refuse = "421 4.3.2 Service not available, closing channel"
            sweep_at(60, "421 service not available")
            server.mailbox.refuse = "554 5.7.1 Transaction failed"
            sweep_at(60, "554 transaction failed")
            assert server.mailbox.refused >= 12  # a 554 stops only its own message
            server.stop()
            sweep_at(60, "server down")

            with hung_smtp_server() as hung_port, override_settings(EMAIL_PORT=hung_port):
                _, took = sweep_at(60, "server hung (accepts, never greets)")
            assert took < 5  # EMAIL_TIMEOUT=1 and one try: the claim is released, not stranded
        assert not EmailDelivery.objects.filter(state=DeliveryState.SENDING).exists()

        server.mailbox.refuse = None
        server.start()
        with override_settings(**server.settings()):
            assert sweep_at(60)[0]["emails"] == 12
            assert sweep_at(60)[0]["emails"] == 0
        lost, doubled = exactly_once(server.mailbox)

    rows = EmailDelivery.objects.all()
    assert [row.state for row in rows] == [DeliveryState.SENT] * 12
    assert all(row.attempts >= 2 and row.last_error == "" for row in rows)
    assert (lost, doubled) == (0, 0)
    failed_attempts = sum(row.attempts for row in rows) - rows.count()
    report(
        "SMTP refusing, down, hung",
        alerts=12,
        faults_injected=sum(faults.values()),
        failed_attempts_recorded=failed_attempts,
        emails_accepted=len(server.mailbox.messages),
        rows_checked=rows.count(),
        lost=lost,
        doubled=doubled,
    )


# --- Redis refused and frozen ----------------------------------------------------------------


def _answer_many(client, project, requests, subject):
    page = reverse("project_detail", args=[project.sponsor.slug, project.pk])
    data = form_data(direction="inbound", subject=subject, requests=[r.pk for r in requests])
    started = time.monotonic()
    response = client.post(page, data, **HTMX)
    took = time.monotonic() - started
    assert response.status_code == 200, response.status_code
    assert "has-error" not in response.content.decode()
    return took


def test_drill_a_refused_or_frozen_broker_costs_a_log_post_well_under_a_second(
    client, project, manager, sponsor
):
    make_policy(sponsor, effective_from=timezone.now() - timedelta(days=1))
    requests = [
        services.request_open(
            project=project,
            by=manager,
            title=f"Ask {n}",
            opened_at=timezone.now() - timedelta(hours=1),
            category="question",
            priority="normal",
        )
        for n in range(12)
    ]
    assert not Request.objects.filter(clocks_stale=True).exists()
    client.force_login(manager)
    timings = {}
    with redis_server() as redis, broker_at(redis.url):
        timings["healthy"] = _answer_many(client, project, requests[:1], "Warm-up")
        redis.freeze()
        timings["frozen"] = _answer_many(client, project, requests, "Answer while frozen")
        timings["frozen, again"] = _answer_many(client, project, requests, "And again")
    with broker_at(f"redis://127.0.0.1:{free_port()}/0"):
        timings["refused"] = _answer_many(client, project, requests, "Answer while refused")

    # The broker costs a POST one bounded try (ENQUEUE_BROKER_TIMEOUT, 0.25 s), not 13 × 5 s.
    assert max(timings.values()) < 2, timings
    assert timings["frozen"] < timings["healthy"] + 1 and timings["refused"] < 1.5, timings
    subjects = Counter(Communication.objects.values_list("subject", flat=True))
    written = ["Warm-up", "Answer while frozen", "And again", "Answer while refused"]
    assert [subjects[s] for s in written] == [1, 1, 1, 1]  # saved once each: nothing to retry
    assert Request.objects.filter(clocks_stale=True).count() == 12  # left for the sweep
    assert sweep.run()["stale"] == 12
    assert not Request.objects.filter(clocks_stale=True).exists()
    for request in requests:
        assert request.communications.filter(subject__in=written[1:]).count() == 3
    report(
        "Redis refused and frozen (SIGSTOP)",
        log_posts=len(timings),
        faults_injected=2,
        post_seconds=" / ".join(f"{name} {took:.2f}" for name, took in timings.items()),
        rows_checked=len(written) + len(requests),
        lost=0,
        doubled=sum(n - 1 for n in subjects.values() if n > 1),
    )


# --- A worker killed with SIGKILL while it sends ---------------------------------------------


def _worker(queue, broker_url, smtp_port):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cdmo_portal.settings.production_like_worker",
        "DATABASE_URL": "postgres://{}@{}:{}/{}".format(
            db["USER"], db["HOST"] or "127.0.0.1", db["PORT"] or 5432, db["NAME"]
        ),
        "REDIS_URL": broker_url,
        "CELERY_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_TIMEOUT": "5",
    }
    return subprocess.Popen(  # noqa: S603 - our own worker, arguments fixed here
        [
            sys.executable, "-m", "celery", "-A", "cdmo_portal", "worker", "--pool", "solo",
            "--loglevel", "WARNING", "-Q", queue,
            "--without-heartbeat", "--without-gossip", "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def test_drill_a_worker_killed_while_sending_leaves_no_alert_unsent_or_doubled(
    project, manager, sponsor
):
    assert connection.vendor == "postgresql"
    breached_asks(project, manager, sponsor, timezone.now() - timedelta(hours=4), count=4)
    queue = f"drill-{uuid.uuid4().hex[:8]}"
    with smtp_server() as smtp, redis_server() as redis:
        smtp.mailbox.hold_at = 5
        worker = _worker(queue, redis.url, smtp.port)
        try:
            with broker_at(redis.url):
                sweep_sla.apply_async(queue=queue)
            assert smtp.mailbox.holding.wait(60), "the worker never reached the fifth e-mail"
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        finally:
            smtp.mailbox.release.set()
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
        states = Counter(EmailDelivery.objects.values_list("state", flat=True))
        assert states == {"sent": 4, "sending": 1, "pending": 7}
        assert Notification.objects.count() == 12

        with override_settings(**smtp.settings()):
            assert sweep.run()["emails"] == 7  # the killed worker's claim is still live
            assert EmailDelivery.objects.filter(state=DeliveryState.SENDING).count() == 1
            later = timezone.now() + notify.claim_expiry() + timedelta(minutes=1)
            assert sweep.run(later)["emails"] == 1  # taken over once it expired
            assert sweep.run(later + timedelta(hours=1))["emails"] == 0
        lost, doubled = exactly_once(smtp.mailbox)
    assert set(EmailDelivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
    assert (lost, doubled) == (0, 0)
    report(
        "worker SIGKILL during sends",
        alerts=12,
        faults_injected=1,
        emails_accepted=len(smtp.mailbox.messages),
        rows_checked=EmailDelivery.objects.count(),
        lost=lost,
        doubled=doubled,
    )


# --- PostgreSQL restarted while idle and under load ------------------------------------------


@contextmanager
def portal_on(database_url):
    """gunicorn (2 sync workers, persistent connections) serving the portal on that database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cdmo_portal.settings.test",
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
    }
    subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
    )
    seeded = subprocess.run(  # noqa: S603 - our own seed module
        [sys.executable, "-m", "tests.drill_seed"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    seed = json.loads(seeded.stdout.strip().splitlines()[-1])
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - gunicorn from our venv, fixed arguments
        [
            str(Path(sys.executable).with_name("gunicorn")), "cdmo_portal.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "30",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port, timeout=30)
        yield Browser(port, seed)
    finally:
        server.terminate()
        server.wait(timeout=15)


class Browser:
    """A signed-in manager talking HTTP to the portal; records what every request got."""

    def __init__(self, port, seed):
        self.port = port
        self.path = seed["path"]
        self.csrf = secrets.token_hex(16)  # 32 characters: a CSRF secret of our choosing
        self.cookie = f"sessionid={seed['session']}; csrftoken={self.csrf}"
        self.log = []  # (started, ended, method, status, subject)
        self.lock = threading.Lock()
        self.berlin = zoneinfo.ZoneInfo("Europe/Berlin")

    def _request(self, method, body=None, subject=None):
        headers = {"Cookie": self.cookie, "Host": "127.0.0.1"}
        if method == "POST":
            headers |= {
                "X-CSRFToken": self.csrf,
                "HX-Request": "true",
                "Content-Type": "application/x-www-form-urlencoded",
            }
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request(method, self.path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            status = response.status
            if status == 200 and method == "POST" and "has-error" in text:
                status = 422  # a form error would be a bug of the drill, not a fault
            if status >= 500:
                assert status == 503 and response.getheader("Retry-After"), (status, text[:300])
        finally:
            conn.close()
        with self.lock:
            self.log.append((started, time.monotonic(), method, status, subject))
        return status

    def page(self):
        return self._request("GET")

    def log_communication(self):
        subject = f"Drill {uuid.uuid4().hex[:12]}"
        occurred = timezone.now().astimezone(self.berlin) - timedelta(minutes=30)
        body = urlencode(
            {
                "channel": "call",
                "direction": "inbound",
                "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M"),
                "subject": subject,
                "summary": "Logged during the drill.",
            }
        )
        return self._request("POST", body, subject)


def _rows(database_url):
    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as db:
        rows = db.execute(
            "SELECT subject, count(*) FROM engagements_communication"
            " WHERE subject LIKE 'Drill %' GROUP BY subject"
        ).fetchall()
    return dict(rows)


@pytest.mark.timeout(180)
def test_drill_postgresql_restarted_idle_and_under_load_gives_503_only_while_down():
    with postgres_server() as pg:
        url = pg.url.rsplit("/", 1)[0] + "/portal"
        with psycopg.connect(pg.url.replace("postgres://", "postgresql://"), autocommit=True) as db:
            db.execute("CREATE DATABASE portal")
        with portal_on(url) as browser:
            for _ in range(6):  # both workers hold a persistent connection now
                assert browser.page() == 200 and browser.log_communication() == 200

            # Restarted while idle: each worker's next request must not see the dead connection.
            pg.stop()
            pg.start()
            idle_restart_statuses = [browser.page() for _ in range(8)]
            idle_restart_statuses += [browser.log_communication() for _ in range(4)]
            assert idle_restart_statuses == [200] * 12

            # Restarted under load: three users keep going while the database goes away.
            stop = threading.Event()

            def user():
                while not stop.is_set():
                    for status in (browser.log_communication(), browser.page()):
                        time.sleep(0.25 if status == 503 else 0.02)  # a client that backs off

            users = [threading.Thread(target=user) for _ in range(3)]
            for thread in users:
                thread.start()
            time.sleep(1.5)
            down_from = time.monotonic()
            pg.stop()
            time.sleep(1.5)
            pg.start()
            up_at = time.monotonic()
            time.sleep(2.5)
            stop.set()
            for thread in users:
                thread.join(timeout=30)
            after = [browser.page() for _ in range(4)]

        log = browser.log
        rows = _rows(url)
    assert after == [200] * 4
    errors = [entry for entry in log if entry[3] >= 500]
    assert all(status == 503 for *_, status, _ in errors)
    # A 5xx only for a request that was under way while the database was down.
    assert all(started <= up_at + 0.5 and ended >= down_from for started, ended, *_ in errors)
    assert [entry for entry in log if entry[3] not in (200, 503)] == []
    saved = [subject for *_, method, status, subject in log if method == "POST" and status == 200]
    lost = sum(1 for subject in saved if rows.get(subject, 0) == 0)
    doubled = sum(count - 1 for count in rows.values() if count > 1)
    unanswered_but_saved = sum(
        1 for *_, method, status, subject in log if method == "POST" and status == 503
        and rows.get(subject)
    )  # fmt: skip
    assert (lost, doubled) == (0, 0)
    assert len(errors) > 0  # the drill did hit the outage
    report(
        "PostgreSQL restarted idle and under load",
        requests=len(log),
        faults_injected=2,
        answers_503=len(errors),
        answers_500=0,
        rows_checked=len(rows),
        lost=lost,
        doubled=doubled,
        saved_but_answered_503=unanswered_but_saved,
    )
