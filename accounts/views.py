"""The user's own settings, two-factor sign-in, and a sponsor admin's sign-in rules.

Sign-in and password pages come from django.contrib.auth; the code step after the password is
`two_factor_verify`, where TwoFactorMiddleware holds a user who owes a code.
"""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import sessions, two_factor
from .forms import CodeForm, PreferencesForm, SetupCodeForm
from .security import log_event


@login_required
def preferences(request):
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Preferences saved.")
        return redirect("preferences")
    context = {"form": form, "two_factor_on": two_factor.confirmed_device(request.user) is not None}
    return render(request, "accounts/preferences.html", context)


@never_cache
@login_required
def two_factor_verify(request):
    """The second step of sign-in for a user with an authenticator app."""
    device = two_factor.confirmed_device(request.user)
    if device is None:
        return redirect("two_factor_setup")
    if request.user.is_verified():
        return redirect(two_factor.next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _code_accepted(request, form, device):
        two_factor.complete(request, device)
        return redirect(two_factor.next_url(request))
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": two_factor.next_url(request)},
    )


@never_cache
@login_required
def two_factor_setup(request):
    """Turn two-factor sign-in on: scan or type the secret, then prove it with one code."""
    if two_factor.confirmed_device(request.user) is not None:
        return _two_factor_on_page(request, CodeForm())
    device = two_factor.device_to_confirm(request.user)
    form = SetupCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _code_accepted(request, form, device):
        two_factor.confirm(request, device)
        ended = 0
        if form.cleaned_data["end_other_sessions"]:
            ended = sessions.end_sessions(
                [request.user.pk], keep=request.session.session_key, password_only=True
            )
        log_event(request, "two_factor_enabled", level=logging.INFO, sessions_ended=ended)
        messages.success(
            request,
            "Two-factor sign-in is on: we will ask for a code at sign-in."
            + (f" {ended} other session{'s' if ended != 1 else ''} signed out." if ended else ""),
        )
        return redirect(two_factor.next_url(request, default="two_factor_setup"))
    context = {
        "form": form,
        "secret": two_factor.secret_for_display(device),
        "otpauth_url": device.config_url,
        "qr_code": two_factor.qr_code_data_uri(device.config_url),
        "required": two_factor.is_required_for(request.user),
        "next": two_factor.next_url(request, default="two_factor_setup"),
    }
    return render(request, "accounts/two_factor_setup.html", context)


@require_POST
@login_required
def two_factor_disable(request):
    """Turn it off with a current code — unless a sponsor of the user requires it."""
    device = two_factor.confirmed_device(request.user)
    if device is None or two_factor.is_required_for(request.user):
        return redirect("two_factor_setup")
    form = CodeForm(request.POST)
    if form.is_valid() and _code_accepted(request, form, device):
        two_factor.turn_off(request)
        log_event(request, "two_factor_disabled", level=logging.INFO)
        messages.success(request, "Two-factor sign-in is off.")
        return redirect("two_factor_setup")
    return _two_factor_on_page(request, form)


def _two_factor_on_page(request, form):
    context = {"form": form, "required": two_factor.is_required_for(request.user)}
    return render(request, "accounts/two_factor_on.html", context)


def _code_accepted(request, form, device):
    """Check the code; a wrong or throttled one is a form error and a line in the security log."""
    wait = two_factor.throttled_for(device)
    if not wait and two_factor.check_code(request.user, device, form.cleaned_data["code"]):
        return True
    if wait:
        form.add_error("code", f"Too many wrong codes: wait {wait} seconds, then try again.")
    else:
        form.add_error("code", "That code is not right, or it has already been used.")
    log_event(request, "two_factor_failed", throttled="yes" if wait else "no")
    return False
