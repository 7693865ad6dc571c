"""A request id: a fresh uuid4 per request, on the request, in every log line, in the response.

Support and security reviews join a user's report ("it failed at 14:02", with the id from the
error page or the X-Request-ID header) to the log lines of that one request. The id is always
generated here: an id sent by the client would let it forge or collide log entries.
"""

import contextvars
import logging
import uuid

from django.core.signals import request_finished

_current = contextvars.ContextVar("request_id", default="-")


def current_request_id():
    """The id of the request being handled on this thread, or "-" outside a request."""
    return _current.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = str(uuid.uuid4())
        # Kept until the response is closed: Django logs 4xx answers after the middleware.
        _current.set(request.request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


def _forget_request_id(**kwargs):
    _current.set("-")


request_finished.connect(_forget_request_id, dispatch_uid="cdmo_portal.request_id")


class RequestIdFilter(logging.Filter):
    """Give every record a `request_id`, so the log format can always print one."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True
