"""Template context: the sponsor being viewed and the user's other sponsors (the switcher)."""

from .models import Membership


def sponsor_context(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    sponsor = getattr(request, "sponsor", None)
    unread = 0
    if sponsor is not None:
        from scorecards.models import Notification

        unread = Notification.objects.filter(
            user=request.user, sponsor=sponsor, read_at__isnull=True
        ).count()
    return {
        "unread_alerts": unread,
        "sponsor": sponsor,
        "membership": getattr(request, "membership", None),
        "my_memberships": Membership.objects.filter(user=request.user)
        .select_related("sponsor")
        .order_by("sponsor__name"),
    }
