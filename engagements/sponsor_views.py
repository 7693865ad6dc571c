"""A sponsor admin's pages about the sponsor's people and how they sign in, and the page where
an invited person accepts."""

import logging

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from accounts import sessions, two_factor
from accounts.security import log_event

from . import members
from .access import ADMIN, get_scoped_or_404, sponsor_view
from .member_forms import InviteForm, NewAccountForm, RoleForm, SponsorSecurityForm
from .models import Invitation, Membership, Role, SponsorSecurityPolicy


@sponsor_view(ADMIN)
def sponsor_security(request):
    """A sponsor admin's sign-in rules for every member of the sponsor."""
    policy = SponsorSecurityPolicy.objects.filter(sponsor=request.sponsor).first()
    policy = policy or SponsorSecurityPolicy(sponsor=request.sponsor)
    was_required = policy.require_two_factor
    form = SponsorSecurityForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        policy = form.save(commit=False)
        policy.updated_by = request.user
        policy.save()
        ended = 0
        if policy.require_two_factor and not was_required:
            # Members signed in with a password only must come back through the second step.
            member_ids = request.sponsor.memberships.values_list("user_id", flat=True)
            ended = sessions.end_sessions(
                member_ids, keep=request.session.session_key, password_only=True
            )
        log_event(
            request,
            "sponsor_policy_changed",
            level=logging.INFO,
            require_two_factor="yes" if policy.require_two_factor else "no",
            sessions_ended=ended,
        )
        messages.success(request, "Sign-in rules saved.")
        return redirect("sponsor_security", sponsor_slug=request.sponsor.slug)
    context = {
        "form": form,
        "policy": policy,
        "members_without_two_factor": two_factor.members_without_device(request.sponsor),
    }
    return render(request, "engagements/sponsor_security.html", context)


@sponsor_view(ADMIN)
def member_list(request):
    """The sponsor's members and pending invitations; POST invites one more by e-mail."""
    form = InviteForm(request.POST or None, sponsor=request.sponsor)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, sent = members.invite(
                sponsor=request.sponsor,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                by=request.user,
            )
        except IntegrityError:
            form.add_error("email", "This address already has an invitation.")
        else:
            log_event(request, "member_invited", level=logging.INFO, role=invitation.role)
            _report_sending(request, invitation, sent)
            return redirect("member_list", sponsor_slug=request.sponsor.slug)
    return _members_page(request, form)


def _members_page(request, form):
    context = {
        "form": form,
        "members": list(members.member_list(sponsor=request.sponsor)),
        "invitations": list(members.pending_invitations(sponsor=request.sponsor)),
        "roles": Role.choices,
    }
    return render(request, "engagements/members.html", context)


def _report_sending(request, invitation, sent):
    if sent:
        messages.success(request, f"Invitation sent to {invitation.email}.")
    else:
        messages.error(
            request,
            f"The invitation to {invitation.email} is saved but the e-mail could not be sent: "
            "try “Send again” in a while.",
        )


@sponsor_view(ADMIN)
def member_role(request, pk):
    membership = get_scoped_or_404(request, Membership.objects.select_related("user"), pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles.")
        return redirect("member_list", sponsor_slug=request.sponsor.slug)
    try:
        membership = members.change_role(membership=membership, role=form.cleaned_data["role"])
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("member_list", sponsor_slug=request.sponsor.slug)
    log_event(request, "member_role_changed", level=logging.INFO, role=membership.role)
    messages.success(request, f"{membership.user} is now {membership.get_role_display()}.")
    if membership.user_id == request.user.pk and not membership.is_admin:
        return redirect("my_work", sponsor_slug=request.sponsor.slug)
    return redirect("member_list", sponsor_slug=request.sponsor.slug)


@sponsor_view(ADMIN)
def member_remove(request, pk):
    membership = get_scoped_or_404(request, Membership.objects.select_related("user"), pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        members.remove(membership=membership)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("member_list", sponsor_slug=request.sponsor.slug)
    log_event(request, "member_removed", level=logging.INFO)
    if membership.user_id == request.user.pk:
        messages.success(request, f"You have left {request.sponsor}.")
        return redirect("home")
    messages.success(request, f"{membership.user} no longer has access to {request.sponsor}.")
    return redirect("member_list", sponsor_slug=request.sponsor.slug)


@sponsor_view(ADMIN)
def invitation_resend(request, pk):
    invitation = get_scoped_or_404(request, Invitation.objects.filter(accepted_at=None), pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    _report_sending(request, invitation, members.resend(invitation=invitation))
    return redirect("member_list", sponsor_slug=request.sponsor.slug)


@sponsor_view(ADMIN)
def invitation_revoke(request, pk):
    invitation = get_scoped_or_404(request, Invitation.objects.filter(accepted_at=None), pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    members.revoke(invitation=invitation)
    messages.success(request, f"The invitation to {invitation.email} is withdrawn.")
    return redirect("member_list", sponsor_slug=request.sponsor.slug)


@never_cache
def invitation_accept(request):
    """Where an invitation link leads (?token=…): set a password (a new account), or join
    (signed in with the invited address)."""
    token = request.GET.get("token", "")
    template = "engagements/invitation_accept.html"
    try:
        invitation = members.invitation_for_token(token)
    except members.InvitationInvalid as problem:
        log_event(request, "invitation_refused")
        return render(request, template, {"problem": str(problem)}, status=400)
    context = {"invitation": invitation, "sponsor_invited": invitation.sponsor}
    if request.user.is_authenticated:
        if not members.email_matches(invitation, request.user):
            log_event(request, "invitation_refused", reason="other e-mail")
            problem = (
                f"This invitation is for {invitation.email}, not for the account you are "
                "signed in with. Sign out, then open the link again."
            )
            return render(request, template, {"problem": problem}, status=403)
        if request.method == "POST":
            return _accepted(request, token, request.user)
        return render(request, template, {**context, "step": "join"})
    if members.existing_user_for(invitation) is not None:
        return render(request, template, {**context, "step": "sign_in"})
    form = NewAccountForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user, membership = members.accept_as_new_user(token=token, form=form)
        except members.InvitationInvalid as problem:
            return render(request, template, {"problem": str(problem)}, status=400)
        except IntegrityError:
            form.add_error(None, "An account with this e-mail address already exists.")
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return _welcome(request, membership.sponsor)
    return render(request, template, {**context, "step": "new_account", "form": form})


def _accepted(request, token, user):
    try:
        membership = members.accept(token=token, user=user)
    except members.InvitationInvalid as problem:
        return render(
            request, "engagements/invitation_accept.html", {"problem": str(problem)}, status=400
        )
    return _welcome(request, membership.sponsor)


def _welcome(request, sponsor):
    log_event(request, "invitation_accepted", level=logging.INFO, sponsor=sponsor.slug)
    messages.success(request, f"Welcome to {sponsor}.")
    return redirect("my_work", sponsor_slug=sponsor.slug)
