"""Template context: the sponsor being viewed and the user's other sponsors (the switcher)."""

from scorecards.api import unread_alerts

from .models import Membership


def sponsor_context(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    sponsor = getattr(request, "sponsor", None)
    unread = unread_alerts(request.user, sponsor) if sponsor is not None else 0
    return {
        "unread_alerts": unread,
        "sponsor": sponsor,
        "membership": getattr(request, "membership", None),
        "my_memberships": Membership.objects.filter(user=request.user)
        .select_related("sponsor")
        .order_by("sponsor__name"),
    }
