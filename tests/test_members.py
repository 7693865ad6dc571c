"""The Members page: sponsor admins invite by e-mail, change roles and remove people.

Invitation links work once, for 7 days, only for the invited address and sponsor; a sponsor
always keeps one admin; every change is in the audit trail.
"""

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from engagements.models import Invitation, Membership, Role

from .factories import InvitationFactory, MembershipFactory, UserFactory

NEW_PASSWORD = "a long and fresh passphrase"


def members_url(sponsor):
    return reverse("member_list", args=[sponsor.slug])


def accept_url(token):
    return reverse("invitation_accept") + "?" + urlencode({"token": token})


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _invite(admin_client, sponsor, email="ada@example.org", role="manager"):
    response = admin_client.post(members_url(sponsor), {"email": email, "role": role})
    assert response.status_code == 302
    return Invitation.objects.get(sponsor=sponsor, email=email)


def pending(sponsor, invited_by, **fields):
    """A pending invitation and the token of its link."""
    invitation = InvitationFactory.build(sponsor=sponsor, invited_by=invited_by, **fields)
    token = invitation.new_token()
    invitation.save()
    return invitation, token


def _link_of(message):
    return re.search(r"https?://\S+", message.body).group(0)


def test_it_emails_an_invitation_with_text_and_html_parts_and_a_site_link(
    admin_client, sponsor, admin_user, settings
):
    settings.SITE_URL = "https://portal.example.com"
    _invite(admin_client, sponsor)
    (message,) = mail.outbox
    assert message.to == ["ada@example.org"]
    assert sponsor.name in message.subject
    link = _link_of(message)
    assert link.startswith("https://portal.example.com/accounts/invitation/?token=")
    assert "Project manager" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert link.replace("&", "&amp;") in html or link in html
    token = link.split("token=", 1)[1]
    invitation = Invitation.objects.get()
    assert token not in invitation.token_digest  # only the digest is kept
    version = invitation.history.earliest("history_id")
    assert (version.history_type, version.history_user) == ("+", admin_user)


def test_it_refuses_to_invite_a_member_or_a_pending_address(admin_client, sponsor, manager):
    page = admin_client.post(members_url(sponsor), {"email": manager.email, "role": "viewer"})
    assert page.status_code == 200 and "already a member" in page.content.decode()
    _invite(admin_client, sponsor, email="twice@example.org")
    page = admin_client.post(members_url(sponsor), {"email": "TWICE@example.org", "role": "viewer"})
    assert "already has an invitation" in page.content.decode()
    assert Invitation.objects.count() == 1


def test_it_creates_the_account_from_the_link_and_signs_in(admin_client, sponsor, admin_user):
    _invite(admin_client, sponsor)
    link = _link_of(mail.outbox[0])
    visitor = Client()
    assert "Create my account" in visitor.get(link).content.decode()
    response = visitor.post(
        link,
        {"first_name": "Ada", "last_name": "Quinn", "password1": NEW_PASSWORD,
         "password2": NEW_PASSWORD},
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == reverse("my_work", args=[sponsor.slug])
    membership = Membership.objects.get(sponsor=sponsor, user__email="ada@example.org")
    assert membership.role == Role.MANAGER
    user = membership.user
    assert user.check_password(NEW_PASSWORD) and user.get_full_name() == "Ada Quinn"
    assert visitor.get(reverse("my_work", args=[sponsor.slug])).status_code == 200
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == user
    accepted = invitation.history.latest("history_id")
    assert (accepted.history_type, accepted.history_user) == ("~", user)
    joined = membership.history.get()
    assert (joined.history_type, joined.history_user) == ("+", user)
    assert "Accepted the invitation" in joined.history_change_reason


def test_it_refuses_a_weak_password_and_writes_nothing(sponsor, admin_user):
    invitation, token = pending(sponsor, admin_user)
    response = Client().post(
        accept_url(token),
        {"first_name": "Ada", "password1": "short", "password2": "short"},
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert not Membership.objects.filter(user__email=invitation.email).exists()


def test_it_works_only_once(sponsor, admin_user):
    invitation, token = pending(sponsor, admin_user)
    url = accept_url(token)
    data = {"first_name": "Ada", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert Client().post(url, data).status_code == 302
    again = Client().post(url, data)
    assert again.status_code == 400 and "already been used" in again.content.decode()
    assert Membership.objects.filter(user__email=invitation.email).count() == 1


def test_it_refuses_an_expired_link(sponsor, admin_user):
    invitation, token = pending(sponsor, admin_user)
    url = accept_url(token)
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = Client().post(
            url, {"first_name": "Ada", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        )
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert not Membership.objects.filter(user__email=invitation.email).exists()


@pytest.mark.parametrize("token", ["", "forged", "invitation-token-999999", "x" * 5000])
def test_it_refuses_a_forged_link(db, client, token):
    response = client.get(accept_url(token))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_it_refuses_a_signed_in_user_of_another_address(client, sponsor, admin_user, manager):
    invitation, token = pending(sponsor, admin_user, role="admin")
    outsider = UserFactory()
    client.force_login(outsider)
    url = accept_url(token)
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert not Membership.objects.filter(user=outsider).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_it_adds_an_existing_signed_in_user_of_that_address(client, sponsor, other_sponsor):
    user = MembershipFactory(sponsor=other_sponsor, role=Role.ADMIN).user
    inviter = MembershipFactory(sponsor=sponsor, role=Role.ADMIN).user
    invitation, token = pending(sponsor, inviter, email=user.email.upper(), role=Role.EXECUTIVE)
    url = accept_url(token)
    anonymous = Client().get(url)
    assert "Sign in" in anonymous.content.decode()  # an account exists: no second one
    client.force_login(user)
    assert "Join" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert Membership.objects.get(user=user, sponsor=sponsor).role == Role.EXECUTIVE
    assert Membership.objects.get(user=user, sponsor=other_sponsor).role == Role.ADMIN


def test_it_kills_the_old_link_when_the_invitation_is_sent_again(admin_client, sponsor):
    invitation = _invite(admin_client, sponsor)
    old_link = _link_of(mail.outbox[0])
    resend = reverse("invitation_resend", args=[sponsor.slug, invitation.pk])
    assert admin_client.post(resend).status_code == 302
    new_link = _link_of(mail.outbox[1])
    assert new_link != old_link
    assert Client().get(old_link).status_code == 400
    assert Client().get(new_link).status_code == 200


def test_it_withdraws_an_invitation(admin_client, sponsor):
    invitation = _invite(admin_client, sponsor)
    link = _link_of(mail.outbox[0])
    admin_client.post(reverse("invitation_revoke", args=[sponsor.slug, invitation.pk]))
    assert not Invitation.objects.exists()
    assert Invitation.history.filter(id=invitation.pk, history_type="-").exists()
    assert Client().get(link).status_code == 400


def test_it_changes_a_role_with_the_change_audited(admin_client, sponsor, admin_user, viewer):
    membership = Membership.objects.get(user=viewer, sponsor=sponsor)
    url = reverse("member_role", args=[sponsor.slug, membership.pk])
    assert admin_client.post(url, {"role": "manager"}).status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.MANAGER
    version = membership.history.latest("history_id")
    assert (version.history_type, version.history_user, version.role) == (
        "~",
        admin_user,
        "manager",
    )
    admin_client.post(url, {"role": "owner-of-everything"})
    membership.refresh_from_db()
    assert membership.role == Role.MANAGER


def test_it_removes_a_member_whose_next_request_answers_404(
    admin_client, sponsor, admin_user, manager, project
):
    member = Client()
    member.force_login(manager)
    page = reverse("project_detail", args=[sponsor.slug, project.pk])
    assert member.get(page).status_code == 200
    membership = Membership.objects.get(user=manager, sponsor=sponsor)
    remove = reverse("member_remove", args=[sponsor.slug, membership.pk])
    assert admin_client.post(remove).status_code == 302
    assert member.get(page).status_code == 404
    manager.refresh_from_db()
    assert manager.is_active  # the account may belong to other sponsors: only access ends
    gone = Membership.history.filter(id=membership.pk).latest("history_id")
    assert (gone.history_type, gone.history_user) == ("-", admin_user)


def test_the_last_admin_can_neither_leave_nor_step_down(admin_client, sponsor, admin_user):
    own = Membership.objects.get(user=admin_user, sponsor=sponsor)
    demote = admin_client.post(
        reverse("member_role", args=[sponsor.slug, own.pk]), {"role": "viewer"}, follow=True
    )
    assert "at least one admin" in demote.content.decode()
    leave = admin_client.post(reverse("member_remove", args=[sponsor.slug, own.pk]), follow=True)
    assert "at least one admin" in leave.content.decode()
    own.refresh_from_db()
    assert own.role == Role.ADMIN


def test_an_admin_may_step_down_while_another_admin_remains(admin_client, sponsor, admin_user):
    MembershipFactory(sponsor=sponsor, role=Role.ADMIN)
    own = Membership.objects.get(user=admin_user, sponsor=sponsor)
    response = admin_client.post(
        reverse("member_role", args=[sponsor.slug, own.pk]), {"role": "manager"}
    )
    assert response["Location"] == reverse("my_work", args=[sponsor.slug])
    assert admin_client.get(members_url(sponsor)).status_code == 403


def test_it_answers_404_for_another_sponsors_member_and_invitation(
    admin_client, sponsor, outsider_world
):
    foreign_member = outsider_world["membership"]
    foreign_invitation = outsider_world["invitation"]
    for name, pk in [
        ("member_role", foreign_member.pk),
        ("member_remove", foreign_member.pk),
        ("invitation_resend", foreign_invitation.pk),
        ("invitation_revoke", foreign_invitation.pk),
    ]:
        response = admin_client.post(reverse(name, args=[sponsor.slug, pk]), {"role": "viewer"})
        assert response.status_code == 404, name
    assert Membership.objects.filter(pk=foreign_member.pk, role=Role.ADMIN).exists()
    assert Invitation.objects.filter(pk=foreign_invitation.pk).exists()


def test_it_refuses_the_members_page_to_other_roles(client, sponsor, manager, viewer):
    for user in (manager, viewer):
        client.force_login(user)
        assert client.get(members_url(sponsor)).status_code == 403
        response = client.post(members_url(sponsor), {"email": "x@example.org", "role": "admin"})
        assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_it_links_the_members_page_for_admins_only(client, sponsor, admin_user, manager):
    client.force_login(admin_user)
    page = client.get(reverse("my_work", args=[sponsor.slug])).content.decode()
    assert members_url(sponsor) in page
    client.force_login(manager)
    page = client.get(reverse("my_work", args=[sponsor.slug])).content.decode()
    assert members_url(sponsor) not in page
