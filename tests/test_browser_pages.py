"""Every page of the portal, as each role sees it, at desktop (1280 px) and phone (390 px) width.

On each page axe-core (tests/axe.py) finds no WCAG 2.2 A/AA or best-practice violation, the
page does not scroll sideways, and every control is at least 24 × 24 px. The data is the demo
portfolio (`seed_demo`), so pages show real lengths of names, tables and timelines. A
screenshot of each page lands in test-artifacts/screenshots/pages/.

Which pages: the access matrix (tests/test_access_matrix.py) states, for every URL of Django's
resolver, the code each role gets; every URL a role may GET is visited as that role. Pages seen
only in a state of their own (signed out, the code prompt of two-factor sign-in, a 404, a 403,
a lockout) are visited in it, and a URL that is no page (a download, a POST-only action) is named
in NOT_PAGES — so a new URL cannot go unchecked.
"""

import io
import re
import shutil
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.models import User
from engagements import services
from engagements.models import BusinessCalendar, Communication, Project, Role, SLAPolicy, Sponsor
from scorecards import recompute, sweep

from . import test_browser
from .axe import page_problems
from .test_access_matrix import MATRIX, ROLES, endpoints, url_for
from .test_browser import SCREENSHOTS

browser_type_launch_args = test_browser.browser_type_launch_args

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

DEMO_PASSWORD = "helix-demo-2026"  # engagements/management/commands/seed_demo.py
DEMO_USERS = {Role.ADMIN: "alice", Role.MANAGER: "maria", Role.VIEWER: "victor"}
DESKTOP, PHONE = 1280, 390
# The admin sees every page: at both widths. A manager and a viewer at one width each, which
# keeps the run short: what differs for them is which buttons and forms a page shows. An
# executive's pages are a viewer's (templates ask only membership.can_write and .is_admin).
VISITS = [(Role.ADMIN, [DESKTOP, PHONE]), (Role.MANAGER, [PHONE]), (Role.VIEWER, [DESKTOP])]
SCREENSHOT_HEIGHT = 3000  # the top of a long page: what a reviewer looks at, quick to write
# Visited in a state of their own by test_it_checks_every_page_at_desktop_and_phone_width.
STATE_PAGES = {
    "home": "the sponsor chooser of a member of two sponsors",
    "login": "signed out, blank and with a wrong password",
    "two_factor_verify": "the code prompt of a user with an authenticator app",
}
NOT_PAGES = {
    "attainment_csv": "a CSV download",
    "attainment_clocks_csv": "a CSV download",
    "request_action": "POST only: a status change, redirecting to the request",
    "policy_make_default": "POST only, redirecting to the policy",
    "notifications_read": "POST only, redirecting to the alerts",
    "two_factor_disable": "POST only, redirecting to the preferences",
    "logout": "POST only, redirecting to the sign-in page",
    "member_role": "POST only, redirecting to the members page",
    "member_remove": "POST only, redirecting to the members page",
    "invitation_resend": "POST only, redirecting to the members page",
    "invitation_revoke": "POST only, redirecting to the members page",
    # Not yet checked by axe: it needs a live invitation token (test_members covers its
    # behaviour); a follow-up gives the check a fixture for it.
    "invitation_accept": "needs a live invitation token",
}
SHOTS = SCREENSHOTS / "pages"


def pages_of(role):
    """The rows of the access matrix (URL names, request_action once per action) a role may GET."""
    index = ROLES.index(role)
    return [
        row
        for row in endpoints()
        if MATRIX[(row, "GET")][index] == 200 and row.partition(":")[0] not in NOT_PAGES
    ]


def test_every_url_is_a_checked_page_or_named_as_none():
    names = {row.partition(":")[0] for row in endpoints()}
    visited = {row.partition(":")[0] for role in ROLES for row in pages_of(role)}
    unclassified = sorted(names - visited - set(STATE_PAGES) - set(NOT_PAGES))
    assert unclassified == [], "visit these pages in the check, or say in NOT_PAGES why not"
    assert sorted(set(NOT_PAGES) & visited) == [], "NOT_PAGES answer GET with a page"
    assert sorted((set(STATE_PAGES) | set(NOT_PAGES)) - names) == [], "URLs that are gone"


@pytest.fixture
def demo(transactional_db):
    """The demo portfolio, plus what it lacks: a sponsor calendar and fresh alerts."""
    call_command("seed_demo", stdout=io.StringIO())
    sponsor = Sponsor.objects.get(slug="helix-bio")
    alice = User.objects.get(username="alice")
    project = Project.objects.filter(sponsor=sponsor, owner=alice).order_by("code").first()
    asked = services.communication_log(
        project=project,
        by=alice,
        channel="email",
        direction="outbound",
        occurred_at=timezone.now().replace(second=0, microsecond=0) - timedelta(days=4),
        subject="Certificate of analysis for lot 12, please",
        needs_response=True,
        open_request=True,
        request_priority="urgent",
    )
    request = asked.requests.get()
    recompute.recompute(request.pk)
    sweep.run()  # unanswered for days: a warning, a breach and escalations, alerted
    calendar = BusinessCalendar.objects.create(
        sponsor=sponsor, name="Helix office hours", time_zone="Europe/Berlin", country="DE"
    )
    return {
        "sponsor": sponsor,
        "user": alice,
        "project": project,
        "cdmo": project.cdmo,
        "site": project.site,
        "contact": project.spoc,
        "request": request,
        "communication": Communication.objects.filter(project=project).latest("occurred_at"),
        "calendar": calendar,
        "policy": SLAPolicy.objects.get(sponsor=sponsor, is_default=True),
    }


class Inspector:
    """One browser context: visits pages, checks each at every width asked, keeps what failed.

    A page is loaded once and checked at its other widths by resizing the window: the second
    axe run in a page costs a third of the first (its code is compiled by then).
    """

    def __init__(self, browser, live_server, widths, label):
        self.widths, self.label = widths, label
        self.context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": widths[0], "height": 900},
            locale="en-GB",
            timezone_id="Europe/Berlin",
        )
        self.page = self.context.new_page()
        self.console = []
        self.page.on("console", lambda m: m.type == "error" and self.console.append(m.text))
        self.page.on("pageerror", lambda exc: self.console.append(f"page error: {exc}"))
        self.failures, self.checked, self.seconds = [], 0, {}

    @property
    def width(self):
        return self.page.viewport_size["width"]

    def sign_in(self, username, password=DEMO_PASSWORD):
        self.console.clear()
        self.page.goto("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state()

    def visit(self, url, name, status=200):
        """Load a page and check it at each width."""
        self.console.clear()
        started = time.monotonic()
        response = self.page.goto(url)
        if response.status != status:
            self.failures.append(f"{name} as {self.label}: HTTP {response.status}, not {status}")
            return
        self.check_at_each_width(name, expected_errors=status >= 400)
        self.seconds[f"{name} as {self.label}"] = time.monotonic() - started

    def check_at_each_width(self, name, expected_errors=False):
        for width in self.widths:
            if width != self.width:
                self.page.set_viewport_size({"width": width, "height": 900})
            self.check(name, expected_errors)
        if self.width != self.widths[0]:
            self.page.set_viewport_size({"width": self.widths[0], "height": 900})

    def check(self, name, expected_errors=False):
        """The page as it is now: axe, layout, the browser's own complaints; a screenshot."""
        self.checked += 1
        problems = page_problems(self.page)
        console = [m for m in self.console if not (expected_errors and "Failed to load" in m)]
        problems += [f"  the browser reported: {m}" for m in console]
        where = f"{name} as {self.label} at {self.width} px"
        if problems:
            self.failures.append(f"{where} ({self.page.url}):\n" + "\n".join(problems))
        SHOTS.mkdir(parents=True, exist_ok=True)
        height = min(self.page.evaluate("document.documentElement.scrollHeight"), SCREENSHOT_HEIGHT)
        self.page.screenshot(
            path=SHOTS / f"{self.width}-{self.label}-{name}.png",
            full_page=True,
            clip={"x": 0, "y": 0, "width": self.width, "height": height},
        )

    def sign_out(self):
        if self.width <= PHONE:
            self.page.get_by_role("button", name="Menu").click()
        self.page.get_by_role("button", name="Sign out").click()
        expect(self.page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_it_checks_every_page_at_desktop_and_phone_width(browser, live_server, demo):
    started = time.monotonic()
    shutil.rmtree(SHOTS, ignore_errors=True)  # no screenshot of a page that is gone
    inspectors = []
    for role, widths in VISITS:
        inspector = Inspector(browser, live_server, widths, role.value)
        inspectors.append(inspector)
        inspector.sign_in(DEMO_USERS[role])
        for row in pages_of(role):
            if row != "home":
                inspector.visit(url_for(row, demo), row.replace(":", "-"))
        if role == Role.ADMIN:
            inspector.visit("/", "home")  # alice is a member of two sponsors: the chooser
            inspector.visit("/s/helix-bio/projects/999999/", "not-found", status=404)
        if role == Role.VIEWER:
            inspector.visit(url_for("project_new", demo), "forbidden", status=403)
        inspector.console.clear()
        inspector.page.goto(url_for("project_detail", demo))
        if PHONE in widths:  # the collapsed menu, opened
            inspector.page.set_viewport_size({"width": PHONE, "height": 900})
            inspector.page.get_by_role("button", name="Menu").click()
            inspector.check("menu-open")
            inspector.page.get_by_role("button", name="Menu").click()
        inspector.sign_out()
        inspector.context.close()

    TOTPDevice.objects.create(user=User.objects.get(username="erik"), name="app", confirmed=True)
    inspector = Inspector(browser, live_server, [DESKTOP, PHONE], "signed-out")
    inspectors.append(inspector)
    inspector.visit("/accounts/login/", "login")
    inspector.sign_in("victor", "not-the-password")
    inspector.check_at_each_width("login-error")
    paused = inspector.page.get_by_role("heading", name="Sign-in paused")
    for _attempt in range(8):  # an unknown name: nobody else is locked out
        inspector.sign_in("nobody", "guess")
        if paused.count():
            break
    expect(paused).to_be_visible()
    inspector.check_at_each_width("locked-out", expected_errors=True)  # answered with 429
    inspector.sign_in("erik")  # with an authenticator app: the code prompt
    expect(inspector.page).to_have_url(re.compile(r"/accounts/two-factor/code/"))
    inspector.check_at_each_width("two-factor-code")
    inspector.context.close()

    failures = [failure for i in inspectors for failure in i.failures]
    checked = sum(i.checked for i in inspectors)
    slowest = sorted(((s, w) for i in inspectors for w, s in i.seconds.items()), reverse=True)
    print(
        f"pages: {checked} page views checked by axe and for layout in "
        f"{time.monotonic() - started:.1f} s; slowest: "
        + ", ".join(f"{where} {seconds:.1f} s" for seconds, where in slowest[:3])
    )
    assert failures == [], f"{len(failures)} page view(s) with problems:\n" + "\n".join(failures)
    assert checked > 80
