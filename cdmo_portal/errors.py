"""Error pages: the portal's look, never a traceback, SQL or setting; refusals are logged.

403 and a refused CSRF check go to the security log. The 500 page is rendered without the
request context — the database its context processors read may be what failed — and shows the
request id, so a user's report can be matched to the log. While the database is unreachable
(down, restarting, refusing connections) the answer is a short 503 with Retry-After instead:
nothing is wrong with the request, and trying again shortly will work.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from accounts.security import log_event


def forbidden(request, exception=None):
    """handler403: every PermissionDenied, e.g. a read-only role trying to write."""
    reason = str(exception or "") or "You do not have access to this page."
    log_event(request, "forbidden", reason=reason)
    return render(request, "403.html", {"reason": reason}, status=403)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form without a valid token, or posted from another site."""
    log_event(request, "csrf_refused", reason=reason)
    return render(
        request,
        "403.html",
        {
            "reason": "This form has expired or was sent from another site. "
            "Go back, reload the page and try again."
        },
        status=403,
    )


DATABASE_RETRY_AFTER = 30  # seconds


def server_error(request):
    """handler500; Django calls it while handling the exception, so sys.exc_info() names it."""
    request_id = getattr(request, "request_id", "")
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        body = loader.get_template("503.html").render({"request_id": request_id})
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response
    body = loader.get_template("500.html").render({"request_id": request_id})
    return HttpResponseServerError(body)
