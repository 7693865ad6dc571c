"""Browser journeys through Debian's chromium against the live server.

Each journey also fails on any console error, uncaught page error, failed request or 4xx/5xx
answer the browser saw. Screenshots of the main pages land in test-artifacts/screenshots/; each
state a journey photographs is also checked by axe-core and for layout (tests/axe.py).
"""

import os
import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from engagements.models import Communication

from .axe import assert_accessible
from .factories import CommunicationFactory, minutes_ago

# Playwright's sync API keeps an event loop on the main thread, where the ORM also runs.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

PASSWORD = "correct-horse-battery"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
USER_TIME_ZONE = ZoneInfo("Europe/Berlin")  # the factories' users


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def browser_context_args(browser_context_args, live_server):
    return {
        **browser_context_args,
        "base_url": live_server.url,
        "viewport": {"width": 1280, "height": 900},
        "locale": "en-GB",
        "timezone_id": "Europe/Berlin",
    }


@pytest.fixture
def page(page):
    """pytest-playwright's page, failing the test on anything the browser reports as broken."""
    problems = []
    page.on(
        "console",
        lambda msg: msg.type == "error" and problems.append(f"console: {msg.text} {msg.location}"),
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "requestfailed",
        lambda req: problems.append(f"request failed: {req.method} {req.url} {req.failure}"),
    )
    page.on(
        "response",
        lambda resp: (
            resp.status >= 400
            and problems.append(f"HTTP {resp.status}: {resp.request.method} {resp.url}")
        ),
    )
    yield page
    assert problems == [], "the browser reported problems:\n" + "\n".join(problems)


def sign_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/s/helix-test/$"))


def screenshot(page, name):
    """A screenshot of the page as it is now, which must also pass axe and the layout checks."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    assert_accessible(page)


def local_input(moment):
    """A datetime as the user types it into a datetime-local field."""
    return moment.astimezone(USER_TIME_ZONE).strftime("%Y-%m-%dT%H:%M")


def project_url(project):
    return f"/s/{project.sponsor.slug}/projects/{project.pk}/"


def test_it_signs_in_through_the_login_page_and_lands_on_my_work(
    page, manager, project, communication, open_request
):
    page.goto("/accounts/login/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", "not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".alert-error")).to_contain_text("correct username and password")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    screenshot(page, "sign-in-error")

    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/s/helix-test/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")
    expect(page.get_by_role("heading", name="My projects")).to_be_visible()
    expect(page.get_by_role("link", name=f"{project.code} {project.name}")).to_be_visible()
    expect(page.locator(".feed")).to_contain_text(communication.subject)
    expect(page.locator("table.compact")).to_contain_text(open_request.title)
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="My work")
    ).to_have_attribute("aria-current", "page")
    screenshot(page, "my-work")


def test_it_logs_a_communication_without_reloading_the_page(page, manager, project, communication):
    sign_in(page, "manager")
    page.goto(project_url(project))
    page.evaluate("window.pageLoadMarker = 'same page'")
    when = minutes_ago(30)  # after the fixture's communication: the newest entry

    form = page.locator("#log-form")
    form.locator("select[name=channel]").select_option("call")
    form.get_by_label("CDMO → sponsor", exact=True).check()
    form.locator("input[name=occurred_at]").fill(local_input(when))
    form.locator("input[name=subject]").fill("Stability data for lot 7")
    form.locator("textarea[name=summary]").fill("They will send the 6-month pull by Friday.")
    form.get_by_label(project.spoc.name).check()
    form.get_by_role("button", name="Log it").click()

    expect(page.locator("#log-form")).to_contain_text("Logged “Stability data for lot 7”.")
    expect(page.locator("#log-form input[name=subject]")).to_have_value("")
    expect(page.locator("#log-form textarea[name=summary]")).to_have_value("")
    newest = page.locator("#timeline li.entry").first
    expect(newest).to_contain_text("Stability data for lot 7")
    expect(newest).to_contain_text("← CDMO")
    expect(newest).to_contain_text(f"With {project.spoc.name}")
    expect(page.locator("#timeline li.entry")).to_have_count(2)
    # The facts card refreshes itself on the same event: last contact is the new entry.
    expect(page.locator("#project-facts")).to_contain_text("30 minutes ago")
    assert page.evaluate("window.pageLoadMarker") == "same page"

    logged = Communication.objects.get(subject="Stability data for lot 7")
    assert logged.channel == Communication.Channel.CALL
    assert logged.direction == Communication.Direction.INBOUND
    assert logged.occurred_at == when
    assert list(logged.participants.all()) == [project.spoc]
    screenshot(page, "project-after-logging")


def test_it_shows_a_validation_error_next_to_the_field_and_keeps_what_was_typed(
    page, manager, project
):
    sign_in(page, "manager")
    page.goto(project_url(project))
    page.evaluate("window.pageLoadMarker = 'same page'")
    tomorrow = timezone.now() + timedelta(days=1)

    form = page.locator("#log-form")
    form.locator("select[name=channel]").select_option("meeting")
    form.locator("input[name=occurred_at]").fill(local_input(tomorrow))
    form.locator("input[name=subject]").fill("Tech transfer kick-off")
    form.locator("textarea[name=summary]").fill("Agenda agreed.")
    form.get_by_label(project.spoc.name).check()
    form.get_by_role("button", name="Log it").click()

    error = page.locator("#log-form .field-occurred_at.has-error .error")
    expect(error).to_have_text(
        "That time is in the future; log interactions once they have happened."
    )
    expect(page.locator("#log-form .field.has-error")).to_have_count(1)
    expect(form.locator("input[name=occurred_at]")).to_have_value(local_input(tomorrow))
    expect(form.locator("input[name=subject]")).to_have_value("Tech transfer kick-off")
    expect(form.locator("textarea[name=summary]")).to_have_value("Agenda agreed.")
    expect(form.locator("select[name=channel]")).to_have_value("meeting")
    expect(form.get_by_label(project.spoc.name)).to_be_checked()
    expect(page.locator("#timeline")).to_contain_text("No communications match.")
    assert page.evaluate("window.pageLoadMarker") == "same page"
    screenshot(page, "log-form-validation-error")

    form.locator("input[name=subject]").fill("")
    form.get_by_role("button", name="Log it").click()
    expect(page.locator("#log-form .field-subject.has-error .error")).to_have_text(
        "This field is required."
    )
    assert not Communication.objects.exists()


def test_it_edits_a_communication_and_shows_the_change_in_its_history(
    page, manager, project, communication
):
    old_subject = communication.subject
    sign_in(page, "manager")
    page.goto(project_url(project))

    entry = page.locator(f"#communication-{communication.pk}")
    entry.get_by_role("link", name="Edit").click()
    expect(page).to_have_url(re.compile(rf"/s/helix-test/communications/{communication.pk}/edit/$"))
    screenshot(page, "communication-edit")
    page.fill("#id_subject", "Batch record for lot 7, revised")
    page.get_by_role("button", name="Save changes").click()

    expect(page).to_have_url(re.compile(rf"/projects/{project.pk}/$"))
    expect(page.locator(".messages")).to_contain_text("Saved “Batch record for lot 7, revised”.")
    expect(entry.locator(".entry-subject")).to_have_text("Batch record for lot 7, revised")
    expect(page.locator("#timeline")).not_to_contain_text(old_subject)

    entry.get_by_role("link", name="History").click()
    expect(page).to_have_url(re.compile(rf"/history/communication/{communication.pk}/$"))
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator(".badge")).to_have_text("Changed")
    change = rows.nth(0).locator("ul.changes li")
    expect(change).to_have_count(1)
    expect(change.locator("strong")).to_have_text("Subject")
    expect(change.locator("del")).to_have_text(old_subject)
    expect(change.locator("ins")).to_have_text("Batch record for lot 7, revised")
    expect(rows.nth(0)).to_contain_text(str(manager))
    expect(rows.nth(1).locator(".badge")).to_have_text("Created")
    screenshot(page, "communication-history")


def test_it_deletes_a_communication_with_a_reason_kept_in_its_history(
    page, manager, project, communication
):
    history_url = f"/s/helix-test/history/communication/{communication.pk}/"
    sign_in(page, "manager")
    page.goto(project_url(project))

    page.locator(f"#communication-{communication.pk}").get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete this communication?")).to_be_visible()
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(page.locator(".field-reason.has-error .error")).to_have_text("This field is required.")
    screenshot(page, "communication-delete-needs-a-reason")
    assert Communication.objects.filter(pk=communication.pk).exists()

    page.get_by_label("Reason").fill("Logged against the wrong project.")
    page.get_by_role("button", name="Delete", exact=True).click()

    expect(page).to_have_url(re.compile(rf"/projects/{project.pk}/$"))
    expect(page.locator(".messages")).to_contain_text("the audit trail keeps it")
    expect(page.locator(f"#communication-{communication.pk}")).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("No communications match.")
    assert not Communication.objects.filter(pk=communication.pk).exists()

    page.goto(history_url)
    latest = page.locator("table.audit tbody tr").first
    expect(latest.locator(".badge")).to_have_text("Deleted")
    expect(latest).to_contain_text(str(manager))
    expect(latest.locator(".reason")).to_have_text("Reason: Logged against the wrong project.")
    screenshot(page, "communication-history-deleted")


def test_it_narrows_the_timeline_by_search_and_channel_and_pushes_the_url(page, manager, project):
    for minutes, channel, subject in [
        (300, "email", "Quality agreement draft"),
        (200, "call", "Quality agreement redlines"),
        (100, "call", "Shipping schedule"),
    ]:
        CommunicationFactory(
            project=project, channel=channel, subject=subject, occurred_at=minutes_ago(minutes)
        )
    sign_in(page, "manager")
    page.goto(project_url(project))
    page.evaluate("window.pageLoadMarker = 'same page'")
    subjects = page.locator("#timeline .entry-subject")
    expect(subjects).to_have_count(3)

    filters = page.locator("form.filters")
    filters.locator("input[name=q]").press_sequentially("quality")
    expect(subjects).to_have_text(["Quality agreement redlines", "Quality agreement draft"])
    expect(page).to_have_url(re.compile(r"\?q=quality"))

    filters.locator("select[name=channel]").select_option("call")
    expect(subjects).to_have_text(["Quality agreement redlines"])
    expect(page).to_have_url(re.compile(r"\?q=quality&channel=call$"))  # no empty filters
    assert page.evaluate("window.pageLoadMarker") == "same page"

    page.reload()
    expect(subjects).to_have_text(["Quality agreement redlines"])
    expect(filters.locator("input[name=q]")).to_have_value("quality")
    expect(filters.locator("select[name=channel]")).to_have_value("call")


def test_it_shows_a_viewer_no_log_form_and_no_edit_or_delete_links(
    page, viewer, project, communication
):
    sign_in(page, "viewer")
    page.goto(project_url(project))

    expect(page.locator("#timeline")).to_contain_text(communication.subject)
    expect(page.locator("#log-form")).to_have_count(0)
    entry = page.locator(f"#communication-{communication.pk}")
    expect(entry.get_by_role("link", name="History")).to_be_visible()
    expect(entry.get_by_role("link", name="Edit")).to_have_count(0)
    expect(entry.get_by_role("link", name="Delete")).to_have_count(0)
    expect(page.locator(".page-head").get_by_role("link", name="Edit")).to_have_count(0)

    edit = page.request.get(f"/s/helix-test/communications/{communication.pk}/edit/")
    assert edit.status == 403


def test_it_gives_every_element_of_the_project_page_a_unique_id(page, manager, project):
    sign_in(page, "manager")
    page.goto(project_url(project))

    duplicates = page.evaluate(
        """() => {
            const seen = {};
            for (const { id } of document.querySelectorAll("[id]")) seen[id] = (seen[id] || 0) + 1;
            return Object.keys(seen).filter((id) => seen[id] > 1);
        }"""
    )
    assert duplicates == []


def tab_until(page, target, limit=40):
    """Press Tab until `target` has the focus; how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return presses
    raise AssertionError(f"{limit} Tab presses did not reach {target}")


def test_it_logs_a_communication_by_keyboard_alone(page, manager, project, open_request):
    sign_in(page, "manager")
    page.goto(project_url(project))
    form = page.locator("#log-form")
    channel = form.locator("select[name=channel]")

    # From the top of the page: the skip link first, then a few stops to the Log link.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    log_link = page.get_by_role("link", name="Log an interaction")
    expect(log_link).to_have_attribute("aria-keyshortcuts", "L")
    tabs_to_log_link = 1 + tab_until(page, log_link)
    page.keyboard.press("Enter")
    expect(channel).to_be_focused()

    # Or the shortcut L, from anywhere but a field: no Tab at all.
    page.reload()
    page.keyboard.press("l")
    expect(channel).to_be_focused()
    presses = 0
    page.keyboard.press("c")  # typing selects: Call
    presses += tab_until(page, form.get_by_label("Sponsor → CDMO", exact=True))
    page.keyboard.press("ArrowDown")  # the other direction: CDMO → sponsor
    subject = form.locator("input[name=subject]")
    presses += tab_until(page, subject)  # past When, which stays "now"
    page.keyboard.type("Stability pull for lot 7")  # its "l" is typed, not a shortcut
    presses += tab_until(page, form.locator("textarea[name=summary]"))
    page.keyboard.type("They will send the 6-month pull by Friday.")
    presses += tab_until(page, form.get_by_label(project.spoc.name))
    page.keyboard.press("Space")
    page.keyboard.press("Control+Enter")

    expect(form).to_contain_text("Logged “Stability pull for lot 7”.")
    expect(channel).to_be_focused()  # ready for the next entry
    expect(page.locator("#timeline li.entry").first).to_contain_text("Stability pull for lot 7")
    logged = Communication.objects.get(subject="Stability pull for lot 7")
    assert logged.channel == Communication.Channel.CALL
    assert logged.direction == Communication.Direction.INBOUND
    assert logged.summary == "They will send the 6-month pull by Friday."
    assert list(logged.participants.all()) == [project.spoc]

    # The next one with the defaults: Tab to Subject, type, Enter.
    next_presses = tab_until(page, subject)
    page.keyboard.type("Follow-up on lot 7")
    page.keyboard.press("Enter")
    expect(form).to_contain_text("Logged “Follow-up on lot 7”.")
    expect(channel).to_be_focused()
    assert Communication.objects.get(subject="Follow-up on lot 7").channel == "email"
    print(
        f"keyboard log: 0 Tab presses to Channel with L, {tabs_to_log_link} from the page top "
        f"to the Log link; a full entry {presses} Tab presses, a quick one {next_presses}"
    )
    assert tabs_to_log_link <= 4
    assert presses <= 12

    # Turned off in the preferences (WCAG 2.1.4), L is a letter again; the Log link still works.
    manager.single_key_shortcuts = False
    manager.save()
    page.reload()
    page.keyboard.press("l")
    expect(channel).not_to_be_focused()
    expect(log_link).not_to_have_attribute("aria-keyshortcuts", "L")
    log_link.click()
    expect(channel).to_be_focused()


def test_it_collapses_the_menu_on_a_phone_and_keeps_every_page_reachable(
    page, browser, live_server, manager, project
):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "manager")
    menu = page.get_by_role("button", name="Menu")
    alerts = page.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(alerts).to_be_hidden()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390

    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(alerts).to_be_visible()
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    menu.click()
    alerts.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alerts")
    screenshot(page, "phone-alerts")

    page.set_viewport_size({"width": 1280, "height": 900})
    expect(menu).to_be_hidden()
    expect(alerts).to_be_visible()

    # Without JavaScript there is no button to press: the menu stays open.
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    try:
        plain = context.new_page()
        sign_in(plain, "manager")
        expect(plain.get_by_role("button", name="Menu")).to_be_hidden()
        expect(
            plain.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts")
        ).to_be_visible()
    finally:
        context.close()
