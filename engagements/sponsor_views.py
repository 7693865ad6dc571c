"""A sponsor admin's pages about the sponsor's people and how they sign in."""

import logging

from django.contrib import messages
from django.shortcuts import redirect, render

from accounts import two_factor
from accounts.forms import SponsorSecurityForm
from accounts.models import SponsorSecurityPolicy
from accounts.security import log_event

from .access import ADMIN, sponsor_view


@sponsor_view(ADMIN)
def sponsor_security(request):
    """A sponsor admin's sign-in rules for every member of the sponsor."""
    policy = SponsorSecurityPolicy.objects.filter(sponsor=request.sponsor).first()
    policy = policy or SponsorSecurityPolicy(sponsor=request.sponsor)
    form = SponsorSecurityForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        policy = form.save(commit=False)
        policy.updated_by = request.user
        policy.save()
        log_event(
            request,
            "sponsor_policy_changed",
            level=logging.INFO,
            require_two_factor="yes" if policy.require_two_factor else "no",
        )
        messages.success(request, "Sign-in rules saved.")
        return redirect("sponsor_security", sponsor_slug=request.sponsor.slug)
    context = {
        "form": form,
        "members_without_two_factor": two_factor.members_without_device(request.sponsor),
    }
    return render(request, "engagements/sponsor_security.html", context)
