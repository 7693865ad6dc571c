"""The demo tells a believable story: CDMOs that differ as designed, every clock kind met and
breached, one CDMO slipping over the last quarter, titles that match their categories.

The demo is seeded once for the module (inside a transaction rolled back at the end); the
figures are read the way the SLA report reads them (scorecards.attainment).
"""

import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from engagements.management.demo_history import PERSONALITIES
from engagements.models import Pause, Request, Sponsor
from scorecards.attainment import KINDS, Period, attainment
from scorecards.models import Clock

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo_seed")]

UTC = ZoneInfo("UTC")
SLIPPING = "Kestrel Cell Therapy"

# Words a reader looks for to tell a request's category from its title; each title carries one
# of its own category's. Independent of the seed's wording on purpose.
TITLE_WORDS = {
    "question": ("question",),
    "technical_query": ("titre", "aggregates", "host-cell", "viral clearance", "assay", "glycan"),
    "document_request": ("coa", "batch record", "report", "package", "protocol"),
    "quote": ("quote", "rfp"),
    "site_visit": ("site visit", "person-in-plant", "audit slot"),
    "quality": ("deviation", "oos", "capa"),
    "schedule_change": ("move", "earlier release", "reschedule", "slot change"),
    "escalation": ("escalation",),
    "other": ("invoice", "contact", "confidentiality", "shipping"),
}
# ... and words that name a category so plainly that no other category's title may use them.
OWN_WORDS = {
    "question": ("question",),
    "quote": ("quote", "rfp"),
    "quality": ("deviation", "oos"),
    "escalation": ("escalation",),
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        yield Sponsor.objects.get(slug="helix-bio"), timezone.now()
        transaction.set_rollback(True)


def compliance_by_cdmo(sponsor, now, first_day_back, last_day_back):
    """Pooled compliance per CDMO over whole UTC days [today - first, today - last]."""
    today = now.astimezone(UTC).date()
    period = Period(
        today - timedelta(days=first_day_back), today - timedelta(days=last_day_back), UTC
    )
    report = attainment(sponsor=sponsor, period=period, grouping="cdmo", now=now)
    return {row.label: row.pooled.compliance for row in report.rows}


def test_every_clock_kind_has_met_and_breached_clocks(demo):
    sponsor, _ = demo
    for kind in KINDS:
        clocks = Clock.objects.filter(sponsor=sponsor, kind=kind)
        assert clocks.filter(state="met").count() >= 20, kind
        assert clocks.filter(state="breached").count() >= 20, kind


def test_good_average_and_poor_cdmos_are_told_apart(demo):
    sponsor, now = demo
    figures = compliance_by_cdmo(sponsor, now, 179, 0)
    assert set(figures) == set(PERSONALITIES)
    assert max(figures.values()) - min(figures.values()) >= 25

    def standing(label):
        return [figures[name] for name, p in PERSONALITIES.items() if p.standing == label]

    assert min(standing("good")) >= 88
    assert min(standing("good")) > max(standing("average"))
    assert min(standing("average")) > max(standing("poor"))
    assert max(standing("poor")) <= 65


def test_the_slipping_cdmo_is_worse_in_the_last_quarter_than_before(demo):
    sponsor, now = demo
    before = compliance_by_cdmo(sponsor, now, 179, 90)[SLIPPING]
    last_quarter = compliance_by_cdmo(sponsor, now, 89, 0)[SLIPPING]
    assert before >= 85
    assert last_quarter <= before - 15


def test_request_titles_match_their_categories(demo):
    sponsor, _ = demo
    requests = list(Request.objects.filter(sponsor=sponsor).values_list("title", "category"))
    assert {category for _, category in requests} == set(Request.Category.values)
    for title, category in requests:
        text = title.casefold()
        assert any(word in text for word in TITLE_WORDS[category]), (title, category)
        for other, words in OWN_WORDS.items():
            if other != category:
                assert not any(word in text for word in words), (title, category)


def test_some_requests_are_still_open_now_running_breached_or_waiting_on_us(demo):
    sponsor, _ = demo
    still_open = Request.objects.filter(sponsor=sponsor, status__in=Request.OPEN_STATUSES)
    assert still_open.count() >= 8
    open_clocks = Clock.objects.filter(request__in=still_open, stopped_at__isnull=True)
    assert open_clocks.filter(state="running").exists()
    assert open_clocks.filter(state="breached").exists()
    assert still_open.filter(status=Request.Status.WAITING_ON_SPONSOR).exists()


def test_the_history_has_pauses_cdmo_raised_asks_late_resolutions_and_cancellations(demo):
    sponsor, _ = demo
    requests = Request.objects.filter(sponsor=sponsor)
    assert Pause.objects.filter(sponsor=sponsor, ended_at__isnull=False).count() >= 10
    assert requests.filter(raised_by_cdmo=True).count() >= 10
    assert requests.filter(status=Request.Status.CANCELLED).exists()
    resolved_late = Clock.objects.filter(
        sponsor=sponsor, kind="resolution", state="breached", request__status="resolved"
    )
    assert resolved_late.count() >= 10
    # Long requests carry periodic updates: several update gaps met on one request.
    most = (
        Clock.objects.filter(sponsor=sponsor, kind="update", state="met")
        .values("request")
        .annotate(gaps=Count("id"))
        .order_by("-gaps")
        .first()
    )
    assert most["gaps"] >= 4
