"""Browser journeys of sign-in security, under the real CSP: any violation fails them.

The `page` fixture of test_browser fails a test on any console error, and Chromium reports every
CSP violation as one.
"""

import re
import time

import pytest
import time_machine
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from . import test_browser
from .test_browser import PASSWORD, screenshot, sign_in
from .test_two_factor import code_for

# test_browser's fixtures: Debian's chromium, the live server, a page that fails on console errors.
browser_type_launch_args = test_browser.browser_type_launch_args
browser_context_args = test_browser.browser_context_args
page = test_browser.page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]


def test_it_turns_on_two_factor_and_then_asks_for_a_code_at_sign_in(page, manager, project):
    sign_in(page, "manager")
    page.goto("/accounts/preferences/")
    page.get_by_role("link", name="Two-factor sign-in: off").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    qr = page.get_by_role("img", name="QR code holding your two-factor secret")
    expect(qr).to_be_visible()
    assert page.evaluate("document.querySelector('img.qr-code').naturalWidth") > 0
    screenshot(page, "two-factor-setup")
    device = TOTPDevice.objects.get(user=manager)
    page.get_by_label("Code from your authenticator app").fill(code_for(device))
    page.get_by_role("button", name="Turn on").click()
    expect(page.locator(".messages")).to_contain_text("Two-factor sign-in is on")

    page.get_by_role("button", name="Sign out").click()
    page.fill("#id_username", "manager")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/code/\?next="))
    screenshot(page, "two-factor-code")
    device.refresh_from_db()
    with time_machine.travel(time.time() + 30, tick=True):  # the next code: no replay
        page.get_by_label("Code from your authenticator app").fill(code_for(device))
        page.get_by_role("button", name="Continue").click()
        expect(page).to_have_url(re.compile(r"/s/helix-test/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")


def test_it_lets_a_sponsor_admin_require_two_factor_sign_in(page, admin_user, project):
    sign_in(page, "sponsoradmin")
    page.get_by_role("link", name="Sign-in rules").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in rules for Helix Test")
    page.get_by_label("Require two-factor sign-in for every member").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Sign-in rules saved.")
    page.goto("/s/helix-test/projects/")
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/\?next="))
    expect(page.locator(".alert")).to_contain_text("requires two-factor sign-in")
    screenshot(page, "two-factor-required")
