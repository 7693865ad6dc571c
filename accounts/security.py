"""Who a request comes from, and the security log: one line per refused sign-in or access.

Each line says what happened, when (UTC, server clock), to which user and sponsor, from which IP
address and in which request — and never a secret: no password, no session key, no CSRF token,
no one-time code. Values typed by the client (a username, an Origin) are cut short and stripped
of control characters so that they cannot forge log lines.
"""

import ipaddress
import json
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

logger = logging.getLogger("security")

MAX_VALUE_LENGTH = 150


def client_ip(request):
    """The client's IP address: REMOTE_ADDR, or what our own proxies put in X-Forwarded-For.

    Only the last TRUSTED_PROXY_COUNT entries of X-Forwarded-For were written by proxies we run;
    anything to their left is whatever the client chose to send, so it is never trusted. Also
    django-axes' notion of the client (AXES_CLIENT_IP_CALLABLE), so locks and logs agree.

    Only a well-formed address is returned (axes stores it in an inet column, where anything
    else was a 500 at sign-in): a malformed forwarded hop falls back to REMOTE_ADDR, the
    address of the proxy that connected, and a malformed REMOTE_ADDR to "" (stored as NULL).
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies and (address := _valid_address(hops[-proxies])):
            return address
    return _valid_address(request.META.get("REMOTE_ADDR", ""))


def _valid_address(text):
    """`text` as a normalised IP address, or "" when it is not one."""
    try:
        return str(ipaddress.ip_address(str(text).strip()))
    except ValueError:
        return ""


def client_username(request, credentials=None):
    """The username a sign-in attempt names, as django-axes records and compares it
    (AXES_USERNAME_CALLABLE).

    Cut to the longest username an account can have, so that a megabyte typed into the form
    cannot overflow axes' 255-character column (a 500 before this), and without NUL bytes,
    which PostgreSQL refuses in text. No real account is merged with another by the cut.
    """
    source = credentials if credentials else getattr(request, "POST", {})
    username = source.get(settings.AXES_USERNAME_FORM_FIELD) if source else None
    if username is None:
        return None
    user_model = get_user_model()
    longest = user_model._meta.get_field(user_model.USERNAME_FIELD).max_length
    return str(username).replace("\x00", "")[:longest]


def log_event(request, event, *, level=logging.WARNING, user=None, sponsor=None, **details):
    """Write one security event for this request; `details` must never hold a secret."""
    fields = {
        "event": event,
        "at": timezone.now().isoformat(timespec="seconds"),
        "user": _clean(user if user is not None else _username(request)),
        "sponsor": _clean(sponsor if sponsor is not None else _sponsor_slug(request)),
        "ip": _clean(client_ip(request)),
        "request_id": getattr(request, "request_id", "-"),
        "method": request.method,
        "path": _clean(request.path),
        **{key: _clean(value) for key, value in details.items()},
    }
    message = " ".join(f"{key}={_quoted(value)}" for key, value in fields.items())
    logger.log(level, message, extra={"security": fields})


def _username(request):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.get_username()
    return "-"


def _sponsor_slug(request):
    sponsor = getattr(request, "sponsor", None)
    if sponsor is not None:
        return sponsor.slug
    match = getattr(request, "resolver_match", None)
    return (match.kwargs.get("sponsor_slug") if match else None) or "-"


def _clean(value):
    text = "-" if value in (None, "") else str(value)
    return "".join(c if c.isprintable() else "?" for c in text)[:MAX_VALUE_LENGTH]


def _quoted(value):
    return json.dumps(value) if (" " in value or '"' in value) else value
