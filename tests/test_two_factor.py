"""Two-factor sign-in: setting up an authenticator app, the code step, a sponsor's requirement."""

import time

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from engagements.models import Role, SponsorSecurityPolicy

from .factories import MembershipFactory, SponsorFactory, UserFactory
from .test_tenancy import GLOBAL_URLS, SPONSOR_URLS

PASSWORD = "correct-horse-battery"


def code_for(device):
    """The code the user's app shows now."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def sign_in(client, username):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


def set_up_device(client, user):
    """Turn two-factor sign-in on through the setup page, as the user does."""
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("two_factor_setup"), {"code": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    return device


def test_it_sets_up_an_app_and_asks_for_a_code_at_the_next_sign_in(client, manager, sponsor):
    sign_in(client, "manager")
    page = client.get(reverse("two_factor_setup")).content.decode()
    device = TOTPDevice.objects.get(user=manager, confirmed=False)
    assert "otpauth://totp/CDMO%20Portal%3Amanager?secret=" in page
    assert 'src="data:image/svg+xml;base64,' in page  # the QR code
    refused = client.post(reverse("two_factor_setup"), {"code": "000000"})
    assert "That code is not right" in refused.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    with time_machine.travel(time.time() + 2, tick=False):  # wrong codes make the next wait 1 s
        set_up_device(client, manager)

    client.post(reverse("logout"))
    signed_in = sign_in(client, "manager")
    my_work = reverse("my_work", args=[sponsor.slug])
    held = client.get(my_work)
    assert held.status_code == 302
    assert held["Location"] == reverse("two_factor_verify") + "?next=" + my_work.replace("/", "%2F")
    assert signed_in.status_code == 302
    device.refresh_from_db()
    with time_machine.travel(time.time() + 30, tick=False):  # the next code, not a replay
        passed = client.post(
            reverse("two_factor_verify"), {"code": code_for(device), "next": my_work}
        )
    assert passed["Location"] == my_work
    assert client.get(my_work).status_code == 200


def test_it_holds_a_password_only_session_at_the_code_page_on_every_url(
    client, manager, sponsor, outsider_world
):
    TOTPDevice.objects.create(user=manager, name="app", confirmed=True)
    sign_in(client, "manager")
    open_anyway = {"two_factor_verify", "logout"}
    held = 0
    for name in sorted((set(SPONSOR_URLS) | GLOBAL_URLS) - open_anyway):
        kwargs = {}
        if name in SPONSOR_URLS:
            kwargs = {"sponsor_slug": sponsor.slug}
            for param, source in SPONSOR_URLS[name].items():
                kwargs[param] = source if param in ("model", "action") else 1
        for method in ("get", "post"):
            response = getattr(client, method)(reverse(name, kwargs=kwargs))
            assert response.status_code == 302, (name, method)
            assert response["Location"].startswith(reverse("two_factor_verify")), name
            held += 1
    assert client.get("/admin/")["Location"].startswith(reverse("two_factor_verify"))
    print(f"two-factor hold: {held} URL × method requests sent to the code page")


def test_it_asks_for_the_code_after_a_sign_in_through_the_admin(client, manager):
    manager.is_staff = True
    manager.save()
    TOTPDevice.objects.create(user=manager, name="app", confirmed=True)
    client.post(reverse("admin:login"), {"username": "manager", "password": PASSWORD})
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("two_factor_verify"))


def test_it_refuses_a_wrong_code_then_makes_the_next_guess_wait(client, manager, caplog):
    device = TOTPDevice.objects.create(user=manager, name="app", confirmed=True)
    sign_in(client, "manager")
    wrong = client.post(reverse("two_factor_verify"), {"code": "123456"})
    assert "That code is not right" in wrong.content.decode()
    right_but_too_soon = client.post(reverse("two_factor_verify"), {"code": code_for(device)})
    assert "Too many wrong codes" in right_but_too_soon.content.decode()
    assert client.get(reverse("home"))["Location"].startswith(reverse("two_factor_verify"))
    failures = [
        r for r in caplog.records if getattr(r, "security", {}).get("event") == "two_factor_failed"
    ]
    assert len(failures) == 2


def test_it_refuses_a_code_used_once_already(client, manager):
    device = TOTPDevice.objects.create(user=manager, name="app", confirmed=True)
    code = code_for(device)
    sign_in(client, "manager")
    assert client.post(reverse("two_factor_verify"), {"code": code}).status_code == 302
    client.post(reverse("logout"))
    sign_in(client, "manager")
    replay = client.post(reverse("two_factor_verify"), {"code": code})
    assert replay.status_code == 200 and "already been used" in replay.content.decode()


@pytest.fixture
def strict_sponsor(sponsor, admin_user, client):
    """Sponsor A, with two-factor sign-in required by its admin through the page."""
    client.force_login(admin_user)
    client.post(reverse("sponsor_security", args=[sponsor.slug]), {"require_two_factor": "on"})
    client.logout()
    assert SponsorSecurityPolicy.objects.get(sponsor=sponsor).require_two_factor
    return sponsor


def test_it_sends_members_of_a_sponsor_that_requires_it_to_set_it_up_first(
    client, strict_sponsor, viewer
):
    client.force_login(viewer)
    page = reverse("project_list", args=[strict_sponsor.slug])
    response = client.get(page)
    assert response["Location"].startswith(reverse("two_factor_setup"))
    setup = client.get(response["Location"]).content.decode()
    assert "requires two-factor sign-in" in setup
    device = TOTPDevice.objects.get(user=viewer, confirmed=False)
    done = client.post(reverse("two_factor_setup"), {"code": code_for(device), "next": page})
    assert done["Location"] == page
    assert client.get(page).status_code == 200


def test_it_does_not_reveal_a_strict_sponsor_to_outsiders_nor_bind_other_sponsors(
    client, strict_sponsor
):
    elsewhere = MembershipFactory(sponsor=SponsorFactory(), role=Role.MANAGER)
    client.force_login(elsewhere.user)
    # Not a member: the same 404 as any unknown sponsor, not a redirect that would tell.
    assert client.get(reverse("my_work", args=[strict_sponsor.slug])).status_code == 404
    assert client.get(reverse("my_work", args=[elsewhere.sponsor.slug])).status_code == 200


def test_it_lets_only_a_sponsor_admin_change_the_rule(client, sponsor, manager):
    client.force_login(manager)
    url = reverse("sponsor_security", args=[sponsor.slug])
    assert client.get(url).status_code == 403
    assert client.post(url, {"require_two_factor": "on"}).status_code == 403
    assert not SponsorSecurityPolicy.objects.filter(sponsor=sponsor).exists()


def test_it_keeps_two_factor_on_for_a_member_of_a_sponsor_that_requires_it(
    client, strict_sponsor, viewer
):
    client.force_login(viewer)
    device = set_up_device(client, viewer)
    with time_machine.travel(time.time() + 30, tick=False):
        refused = client.post(reverse("two_factor_disable"), {"code": code_for(device)})
    assert refused.status_code == 302
    assert TOTPDevice.objects.filter(user=viewer, confirmed=True).exists()


def test_it_turns_two_factor_off_with_a_current_code(client, manager):
    client.force_login(manager)
    device = set_up_device(client, manager)
    with time_machine.travel(time.time() + 30, tick=False):
        client.post(reverse("two_factor_disable"), {"code": code_for(device)})
    assert not TOTPDevice.objects.filter(user=manager).exists()


def test_it_counts_the_members_still_without_an_app(client, strict_sponsor, admin_user, viewer):
    TOTPDevice.objects.create(user=viewer, name="app", confirmed=True)
    MembershipFactory(sponsor=strict_sponsor, user=UserFactory(), role=Role.EXECUTIVE)
    client.force_login(admin_user)
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=admin_user)
    client.post(reverse("two_factor_setup"), {"code": code_for(device)})
    page = client.get(reverse("sponsor_security", args=[strict_sponsor.slug])).content.decode()
    assert "1 member has not set up two-factor sign-in yet." in page


def test_it_offers_to_end_the_other_password_only_sessions_when_turned_on(manager, sponsor):
    laptop, phone, tablet = Client(), Client(), Client()
    for device in (laptop, phone, tablet):
        sign_in(device, "manager")
    page = reverse("my_work", args=[sponsor.slug])
    laptop.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=manager, confirmed=False)
    setup = laptop.get(reverse("two_factor_setup")).content.decode()
    assert 'name="end_other_sessions"' in setup and "checked" in setup  # offered, ticked
    response = laptop.post(
        reverse("two_factor_setup"), {"code": code_for(device), "end_other_sessions": "on"}
    )
    assert response.status_code == 302
    assert laptop.get(page).status_code == 200  # the session that turned it on stays
    for other in (phone, tablet):
        gone = other.get(page)
        assert gone.status_code == 302 and gone["Location"].startswith(reverse("login"))


def test_it_keeps_the_other_sessions_when_the_user_declines(client, manager, sponsor):
    phone = Client()
    sign_in(phone, "manager")
    sign_in(client, "manager")
    set_up_device(client, manager)  # the box left unticked
    assert phone.get(reverse("my_work", args=[sponsor.slug])).status_code == 200


def test_it_ends_password_only_sessions_when_a_sponsor_requires_it(
    client, sponsor, admin_user, manager, other_sponsor
):
    member, outsider = Client(), Client()
    sign_in(member, "manager")
    other = MembershipFactory(sponsor=other_sponsor, role=Role.MANAGER).user
    outsider.force_login(other)
    client.force_login(admin_user)
    client.post(reverse("sponsor_security", args=[sponsor.slug]), {"require_two_factor": "on"})
    signed_out = member.get(reverse("my_work", args=[sponsor.slug]))
    assert signed_out["Location"].startswith(reverse("login"))  # not just held at setup
    assert outsider.get(reverse("my_work", args=[other_sponsor.slug])).status_code == 200
    # The admin who changed the rule keeps the session (and is sent to set up an app).
    held = client.get(reverse("my_work", args=[sponsor.slug]))
    assert held["Location"].startswith(reverse("two_factor_setup"))


def test_it_puts_a_change_of_the_sign_in_rules_in_the_audit_trail(client, sponsor, admin_user):
    client.force_login(admin_user)
    url = reverse("sponsor_security", args=[sponsor.slug])
    client.post(url, {"require_two_factor": "on"})
    policy = SponsorSecurityPolicy.objects.get(sponsor=sponsor)
    turned_on = policy.history.latest("history_id")
    assert (turned_on.history_type, turned_on.history_user) == ("+", admin_user)
    assert turned_on.require_two_factor and turned_on.sponsor_id == sponsor.pk
    page = client.get(reverse("history", args=[sponsor.slug, "sign-in-rules", policy.pk]))
    assert page.status_code == 302  # the admin has no app yet: set it up first
    SponsorSecurityPolicy.objects.filter(pk=policy.pk).update(require_two_factor=False)
    page = client.get(reverse("history", args=[sponsor.slug, "sign-in-rules", policy.pk]))
    assert page.status_code == 200 and str(admin_user) in page.content.decode()
