"""The SLA path end to end through a real Celery worker on the Redis broker, and an outage."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from engagements import services
from engagements.models import Request
from scorecards import clock, sweep
from scorecards.models import Breach, Clock, Notification
from scorecards.tasks import sweep_sla

from .test_communication_log import form_data
from .test_project_activity import broker_at, real_worker, wait_until
from .test_sla_requests import make_policy


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
@pytest.mark.django_db(transaction=True)
def test_a_breach_end_to_end_with_a_real_worker(client, project, manager, sponsor):
    start = clock.truncate(timezone.now())
    make_policy(sponsor, effective_from=start - timedelta(days=1))
    with real_worker():
        communication = services.communication_log(
            project=project,
            by=manager,
            channel="email",
            direction="outbound",
            occurred_at=start,
            subject="Send the deviation report",
            needs_response=True,
            open_request=True,
        )
        request = communication.requests.get()
        assert wait_until(lambda: Clock.objects.filter(request=request).exists())
        assert not Request.objects.get(pk=request.pk).clocks_stale

        with time_machine.travel(start + timedelta(hours=3), tick=True):
            sweep_sla.delay()
            assert wait_until(lambda: Notification.objects.filter(notice__kind="breach").exists())
            assert Breach.objects.get(request=request).breached_at == start + timedelta(hours=2)

            services.communication_log(
                project=project,
                by=manager,
                channel="call",
                direction="inbound",
                occurred_at=start + timedelta(minutes=150),
                subject="Here it is",
                attach_to=[request],
            )

            def answered():
                clock_row = Clock.objects.filter(request=request, kind="first_response").first()
                return clock_row is not None and clock_row.stopped_at is not None

            assert wait_until(answered)
            first = Clock.objects.get(request=request, kind="first_response")
            assert (first.state, first.late_minutes, first.used_minutes) == ("breached", 30, 150)

            sweep_sla.delay()
            sweep_sla.delay()
            assert wait_until(lambda: not Request.objects.filter(clocks_stale=True).exists())
            client.force_login(manager)
            page = client.get(reverse("request_detail", args=[sponsor.slug, request.pk]))
            assert "breached, answered 30 min late" in page.content.decode()
    assert Breach.objects.filter(request=request).count() == 1
    assert Notification.objects.filter(notice__kind="breach").count() == 1
    assert len([m for m in mail.outbox if "Breached" in m.subject]) == 1


@pytest.mark.django_db(transaction=True)
def test_writes_succeed_with_the_broker_down_and_the_sweep_computes_every_clock(
    client, project, manager, sponsor
):
    make_policy(sponsor, effective_from=timezone.now() - timedelta(days=1))
    client.force_login(manager)
    url = reverse("project_detail", args=[sponsor.slug, project.pk])
    with broker_at("redis://127.0.0.1:1/0"):
        for n in range(3):
            response = client.post(
                url, form_data(subject=f"Ask {n}", open_request="on"), HTTP_HX_REQUEST="true"
            )
            assert response.status_code == 200 and "has-error" not in response.content.decode()
    assert Request.objects.filter(clocks_stale=True).count() == 3
    assert not Clock.objects.exists()
    summary = sweep.run()
    assert summary["stale"] == 3
    assert not Request.objects.filter(clocks_stale=True).exists()
    assert Clock.objects.filter(kind="first_response").count() == 3
