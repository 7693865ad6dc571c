"""Tenancy in one place: which sponsor a request acts for, and the rows it may touch.

Every view goes through `sponsor_view`, which resolves the sponsor from the URL among the
user's memberships, and reads rows through `scoped` / `get_scoped_or_404`. A sponsor the user
is not a member of, and a row of another sponsor, both answer 404 — "not yours" looks exactly
like "does not exist". Read-only members get 403 on writes, but only once the row is found to
be their sponsor's: a foreign id answers 404 to every role, so no answer tells ids apart.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts import two_factor
from accounts.security import log_event

from .models import Membership, Role

READ = "read"
WRITE = "write"
ADMIN = "admin"


def membership_for(user, sponsor_slug):
    """The user's membership of the sponsor with this slug, or None."""
    return (
        Membership.objects.select_related("sponsor", "sponsor__security_policy")
        .filter(user=user, sponsor__slug=sponsor_slug)
        .first()
    )


def sponsor_view(access=READ):
    """Decorate a view taking `sponsor_slug`: sets request.sponsor and request.membership."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, sponsor_slug, *args, **kwargs):
            membership = membership_for(request.user, sponsor_slug)
            if membership is None:
                log_event(request, "sponsor_not_found", sponsor=sponsor_slug)
                raise Http404("No such sponsor.")
            # A sponsor that requires two-factor sign-in shows nothing before it is done.
            if second_factor_due := two_factor.sponsor_redirect(request, membership.sponsor):
                return second_factor_due
            request.sponsor = membership.sponsor
            request.membership = membership
            request.access_denied = _denial(access, membership)
            if request.access_denied and not kwargs:
                raise PermissionDenied(request.access_denied)
            # With ids in the URL the view looks its rows up first (404 for foreign ones);
            # get_scoped_or_404 then refuses the write.
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _denial(access, membership):
    if access == WRITE and not membership.can_write:
        return "Your role can read but not change this sponsor's data."
    if access == ADMIN and membership.role != Role.ADMIN:
        return "Only a sponsor admin can do this."
    return ""


def require_write(request):
    """Refuse a write to a member whose role only reads."""
    if not request.membership.can_write:
        raise PermissionDenied("Your role can read but not change this sponsor's data.")


def scoped(request, model):
    """All rows of `model` that belong to the request's sponsor."""
    return model.objects.filter(sponsor=request.sponsor)


def get_scoped_or_404(request, model_or_queryset, **lookup):
    """One row of the request's sponsor, or 404 — also for another sponsor's row."""
    queryset = (
        model_or_queryset
        if hasattr(model_or_queryset, "model")
        else model_or_queryset.objects.all()
    )
    try:
        row = queryset.filter(sponsor=request.sponsor).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("Not found.") from exc
    if getattr(request, "access_denied", ""):
        raise PermissionDenied(request.access_denied)
    return row
