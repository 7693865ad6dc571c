"""Pages of computed SLA data: the user's alerts."""

from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from engagements import selectors
from engagements.access import sponsor_view
from engagements.models import Project

from .models import Notification

DUE_SOON_HOURS = 24
SHOWN = 10


@sponsor_view()
def notifications(request):
    """What needs attention now — breached and due-soon clocks of my projects, counted as the
    Open requests page counts them — beside the alerts delivered to me, newest first.

    A page may never say "nothing" while something is true: the current state is read from
    the clocks, not from the notices that happened to be sent.
    """
    owns = Project.objects.filter(sponsor=request.sponsor, owner=request.user).exists()
    open_requests = selectors.open_request_list(
        sponsor=request.sponsor, owner=request.user if owns else None
    )
    now = timezone.now()
    breached = selectors.open_requests_in_state(open_requests, "breached", now=now)
    due_soon = selectors.open_requests_in_state(
        open_requests.filter(breached_open=0), "due_soon", now=now, hours=DUE_SOON_HOURS
    )
    rows = list(
        Notification.objects.filter(user=request.user, sponsor=request.sponsor)
        .select_related("notice", "request", "request__project")
        .order_by("-created_at")[:100]
    )
    context = {
        "notifications": rows,
        "mine": owns,
        "breached": list(breached[:SHOWN]),
        "breached_count": breached.count(),
        "due_soon": list(due_soon[:SHOWN]),
        "due_soon_count": due_soon.count(),
        "due_soon_hours": DUE_SOON_HOURS,
        "now": now,
    }
    return render(request, "scorecards/notifications.html", context)


@sponsor_view()
@require_POST
def notifications_read(request):
    Notification.objects.filter(
        user=request.user, sponsor=request.sponsor, read_at__isnull=True
    ).update(read_at=timezone.now())
    return redirect("notifications", request.sponsor.slug)
