"""Pages of computed SLA data: the user's alerts."""

from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from engagements.access import sponsor_view

from .models import Notification


@sponsor_view()
def notifications(request):
    """The signed-in user's SLA alerts for this sponsor, newest first."""
    rows = list(
        Notification.objects.filter(user=request.user, sponsor=request.sponsor)
        .select_related("notice", "request", "request__project")
        .order_by("-created_at")[:100]
    )
    return render(request, "scorecards/notifications.html", {"notifications": rows})


@sponsor_view()
@require_POST
def notifications_read(request):
    Notification.objects.filter(
        user=request.user, sponsor=request.sponsor, read_at__isnull=True
    ).update(read_at=timezone.now())
    return redirect("notifications", request.sponsor.slug)
