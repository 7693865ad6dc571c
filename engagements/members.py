"""A sponsor's people: inviting by e-mail, accepting an invitation, changing roles, removing.

Every write is audited (Membership and Invitation keep versions). A sponsor always keeps at
least one admin: changing a role or removing a member locks the sponsor's admin memberships
first, so two admins demoting each other at once cannot both succeed.

A sponsor admin removes a person from *this* sponsor (deletes the membership); the account
itself stays active, since it may belong to other sponsors that this admin has no say over.
The removed member's next request to the sponsor answers 404 (engagements.access).
"""

import logging
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cdmo_portal.links import absolute_url

from .models import Invitation, Membership, Role
from .models.people import token_digest

logger = logging.getLogger(__name__)

LAST_ADMIN = "A sponsor needs at least one admin: make someone else an admin first."


class InvitationInvalid(Exception):
    """The link is unknown, used, expired, or for someone else; the message says which."""


def member_list(*, sponsor):
    return (
        Membership.objects.filter(sponsor=sponsor)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )


def pending_invitations(*, sponsor):
    return (
        Invitation.objects.filter(sponsor=sponsor, accepted_at__isnull=True)
        .select_related("invited_by")
        .order_by("email")
    )


def invite(*, sponsor, email, role, by):
    """Create an invitation and e-mail its link; returns (invitation, sent)."""
    invitation = Invitation(sponsor=sponsor, email=email.strip(), role=role, invited_by=by)
    token = invitation.new_token()
    invitation.save()
    return invitation, _send(invitation, token)


def resend(*, invitation):
    """A new link (the old one stops working) with a new expiry, e-mailed again."""
    token = invitation.new_token()
    invitation.save(update_fields=["token_digest", "expires_at"])
    return _send(invitation, token)


def revoke(*, invitation):
    invitation._change_reason = "Invitation withdrawn"
    invitation.delete()


def _send(invitation, token):
    """E-mail the link; False (and logged) when the mail server refuses it."""
    link = absolute_url(reverse("invitation_accept") + "?" + urlencode({"token": token}))
    context = {
        "invitation": invitation,
        "sponsor": invitation.sponsor,
        "inviter": invitation.invited_by,
        "link": link,
        "role": invitation.get_role_display(),
    }
    subject = render_to_string("emails/invitation_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/invitation.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string("emails/invitation.html", context), "text/html")
    try:
        message.send()
    except OSError:
        logger.exception("could not e-mail invitation %s", invitation.pk)
        return False
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())
    return True


def invitation_for_token(token, *, now=None):
    """The pending invitation this token opens, or InvitationInvalid."""
    invitation = (
        Invitation.objects.select_related("sponsor", "invited_by")
        .filter(token_digest=token_digest(token or ""))
        .first()
    )
    if invitation is None or not invitation.is_pending:
        raise InvitationInvalid("This invitation link is not valid, or it has already been used.")
    if invitation.is_expired(now):
        raise InvitationInvalid(
            "This invitation link has expired: ask an admin of the sponsor to send a new one."
        )
    return invitation


def email_matches(invitation, user):
    return user.email.strip().lower() == invitation.email.strip().lower()


def existing_user_for(invitation):
    """The active account that already has the invitation's e-mail address, if any."""
    return (
        get_user_model()
        .objects.filter(email__iexact=invitation.email.strip(), is_active=True)
        .order_by("pk")
        .first()
    )


@transaction.atomic
def accept(*, token, user, now=None):
    """Make `user` a member as the invitation says, once; InvitationInvalid otherwise.

    The invitation row is locked while it is checked and marked accepted, so one link can
    never make two memberships, even when opened twice at once.
    """
    found = invitation_for_token(token, now=now)
    locked = Invitation.objects.select_for_update()
    invitation = locked.filter(sponsor_id=found.sponsor_id).get(pk=found.pk)
    if not invitation.is_pending or invitation.is_expired(now):
        raise InvitationInvalid("This invitation link is not valid, or it has already been used.")
    if not email_matches(invitation, user):
        raise InvitationInvalid(
            f"This invitation is for {invitation.email}, not for the account you are signed "
            "in with. Sign out, then open the link again."
        )
    membership = Membership.objects.filter(user=user, sponsor_id=invitation.sponsor_id).first()
    if membership is None:
        membership = Membership(user=user, sponsor_id=invitation.sponsor_id, role=invitation.role)
        membership._history_user = user
        membership._change_reason = f"Accepted the invitation of {invitation.invited_by}"
        membership.save()
    invitation.accepted_at = now or timezone.now()
    invitation.accepted_by = user
    invitation._history_user = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def accept_as_new_user(*, token, form, now=None):
    """Create the account the invitation is for (its e-mail, a password) and accept."""
    invitation = invitation_for_token(token, now=now)
    user = form.save(commit=False)
    user.email = invitation.email.strip()
    user.username = user.email.lower()
    user.save()
    return user, accept(token=token, user=user, now=now)


def _lock_admins(sponsor_id):
    return list(
        Membership.objects.select_for_update()
        .filter(sponsor_id=sponsor_id, role=Role.ADMIN)
        .values_list("pk", flat=True)
    )


@transaction.atomic
def change_role(*, membership, role):
    admins = _lock_admins(membership.sponsor_id)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == role:
        return membership
    if membership.pk in admins and role != Role.ADMIN and len(admins) == 1:
        raise ValidationError(LAST_ADMIN)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove(*, membership):
    admins = _lock_admins(membership.sponsor_id)
    if membership.pk in admins and len(admins) == 1:
        raise ValidationError(LAST_ADMIN)
    membership._change_reason = "Removed from the sponsor"
    membership.delete()
