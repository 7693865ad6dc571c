"""Session lifetime: an idle timeout and an absolute one, both counted on the server.

The session records when it signed in and when it was last used. A request after either limit
signs the user out. The stored expiry follows the same limits, so the session row (and the
cookie) die on time even if no request ever comes back.
"""

from django.conf import settings
from django.utils import timezone

STARTED_AT = "signed_in_at"
LAST_SEEN_AT = "last_seen_at"
# Recording every request would write the session on every page; a minute's slack is enough.
TOUCH_INTERVAL_SECONDS = 60


def start(request):
    """Called at sign-in: the absolute timeout counts from here."""
    now = timezone.now().timestamp()
    request.session[STARTED_AT] = now
    _touch(request.session, now)


def has_expired(session):
    """True once the session has been idle, or alive, for longer than the settings allow."""
    now = timezone.now().timestamp()
    started = session.get(STARTED_AT, now)
    last_seen = session.get(LAST_SEEN_AT, now)
    return (
        now - last_seen > settings.SESSION_IDLE_TIMEOUT.total_seconds()
        or now - started > settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds()
    )


def touch(session):
    """Note that the session is in use, at most once per TOUCH_INTERVAL_SECONDS."""
    now = timezone.now().timestamp()
    if STARTED_AT not in session:
        session[STARTED_AT] = now  # a session from before these timeouts existed
    if now - session.get(LAST_SEEN_AT, 0) >= TOUCH_INTERVAL_SECONDS:
        _touch(session, now)


def _touch(session, now):
    session[LAST_SEEN_AT] = now
    absolute_end = session[STARTED_AT] + settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds()
    idle_end = now + settings.SESSION_IDLE_TIMEOUT.total_seconds()
    session.set_expiry(max(1, int(min(idle_end, absolute_end) - now)))
