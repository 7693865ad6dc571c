"""Receivers for Django's and django-axes' sign-in signals: every way of signing in sends them
(our login page, the admin's, the test client), so these are the one place to catch them all."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from . import sessions, two_factor
from .security import log_event


@receiver(user_logged_in)
def on_sign_in(sender, request, user, **kwargs):
    sessions.start(request)
    two_factor.start(request, user)


@receiver(user_login_failed)
def on_sign_in_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in `credentials`; only the username is logged.
    if request is not None:
        log_event(request, "login_failed", user=credentials.get("username") or "-")


@receiver(user_locked_out)
def on_locked_out(sender, request, username, ip_address, **kwargs):
    log_event(request, "login_locked_out", user=username or "-")
