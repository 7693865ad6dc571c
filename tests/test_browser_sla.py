"""Browser journeys through the SLA pages: open requests with filters, a request's clocks."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from engagements import services
from scorecards import recompute, sweep

from . import test_browser
from .test_browser import screenshot, sign_in
from .test_sla_requests import make_policy

browser_type_launch_args = test_browser.browser_type_launch_args
browser_context_args = test_browser.browser_context_args
page = test_browser.page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]


def open_ask(project, manager, hours_ago, subject):
    communication = services.communication_log(
        project=project,
        by=manager,
        channel="email",
        direction="outbound",
        occurred_at=timezone.now().replace(second=0, microsecond=0) - timedelta(hours=hours_ago),
        subject=subject,
        needs_response=True,
        open_request=True,
    )
    request = communication.requests.get()
    recompute.recompute(request.pk)
    return request


def test_it_filters_open_requests_by_clock_state_and_keeps_the_filter_in_the_url(
    page, manager, project, sponsor
):
    make_policy(sponsor, effective_from=timezone.now() - timedelta(days=10))
    open_ask(project, manager, 5, "Overdue CoA")
    open_ask(project, manager, 0.5, "Fresh question")
    sweep.run()
    sign_in(page, "manager")
    page.get_by_role("link", name="Open requests").click()
    rows = page.locator("#request-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Overdue CoA")  # overdue first
    expect(rows.first).to_contain_text("overdue since")
    page.evaluate("window.pageLoadMarker = 'same page'")
    page.select_option("select[name=state]", "breached")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"state=breached"))
    assert page.evaluate("window.pageLoadMarker") == "same page"
    screenshot(page, "open-requests-breached")
    page.reload()
    expect(rows).to_have_count(1)


def test_it_shows_every_clock_of_a_request_and_pauses_it(page, manager, project, sponsor):
    make_policy(sponsor, effective_from=timezone.now() - timedelta(days=10))
    request = open_ask(project, manager, 3, "Deviation DEV-12 root cause")
    sweep.run()
    sign_in(page, "manager")
    page.goto(f"/s/{sponsor.slug}/requests/{request.pk}/")
    clocks = page.locator("table.clocks tbody tr")
    expect(clocks.filter(has_text="First response")).to_contain_text("Breached")
    expect(clocks.filter(has_text="First response")).to_contain_text("still open")
    expect(clocks.filter(has_text="Resolution")).to_contain_text("Running")
    screenshot(page, "request-clocks")
    page.select_option("select[name=reason_category]", "documents")
    page.fill("input[name=reason]", "Waiting for our signed quality agreement")
    page.get_by_role("button", name="Pause the CDMO's clocks").click()
    expect(page.locator(".alert-success")).to_contain_text("Paused")
    expect(page.locator("h1")).to_contain_text("Waiting on sponsor")
    expect(page.get_by_text("Waiting for our signed quality agreement")).to_be_visible()
    page.get_by_role("button", name="Resume — the sponsor has answered").click()
    expect(page.locator(".alert-success")).to_contain_text("Resumed")
    screenshot(page, "request-after-pause")
