"""Per-request account concerns: the user's time zone, session timeouts, the two-factor hold,
and keeping signed-in pages out of every cache."""

import logging
import zoneinfo

from django.contrib import messages
from django.contrib.auth import logout
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from . import sessions, two_factor
from .security import log_event


class UserTimezoneMiddleware:
    """Activate the signed-in user's time zone for the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


class SessionTimeoutMiddleware:
    """Sign out a session that has been idle, or alive, for too long (accounts.sessions)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            if sessions.has_expired(request.session):
                log_event(request, "session_expired", level=logging.INFO)
                logout(request)
                messages.info(request, "You were signed out after a period without activity.")
            else:
                sessions.touch(request.session)
        return self.get_response(request)


class TwoFactorMiddleware:
    """Hold a user who signed in with a password at the code page until the code is right."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.user.is_authenticated
            and two_factor.is_pending(request)
            and request.path not in two_factor.pending_paths()
        ):
            return two_factor.redirect_to(request, "two_factor_verify")
        return self.get_response(request)


class NoStoreWhenSignedInMiddleware:
    """Send Cache-Control: no-store (and private, no-cache) on every response to a signed-in
    user — pages, fragments, CSV exports — and on the sign-in or sign-out response itself.

    Without it the browser may keep a tenant page on disk and show it again on Back after
    sign-out, and a shared proxy may keep one user's page for the next. Static files are
    served before this middleware (WhiteNoise) and stay cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        signed_in_before = request.user.is_authenticated
        response = self.get_response(request)
        if signed_in_before or request.user.is_authenticated:
            add_never_cache_headers(response)
        return response
