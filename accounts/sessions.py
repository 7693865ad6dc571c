"""Session lifetime: an idle timeout and an absolute one, both counted on the server; and
ending a user's sessions (deactivation, turning on two-factor sign-in).

The session records when it signed in and when it was last used. A request after either limit
signs the user out. The stored expiry follows the same limits, so the session row (and the
cookie) die on time even if no request ever comes back.
"""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

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


def end_sessions(user_ids, *, keep="", password_only=False):
    """Delete the live sessions of these users (but `keep`, a session key); how many ended.

    `password_only`: only the sessions not verified by a second factor. Sessions are not
    indexed by user, so the live ones are decoded one by one: this runs on rare events
    (a deactivation, two-factor turned on), never per request.
    """
    wanted = {str(pk) for pk in user_ids}
    if not wanted:
        return 0
    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    live = Session.objects.filter(expire_date__gt=timezone.now()).exclude(session_key=keep)
    for row in live.iterator():
        data = row.get_decoded()
        if data.get(SESSION_KEY) not in wanted:
            continue
        if password_only and data.get(DEVICE_ID_SESSION_KEY):
            continue
        store(session_key=row.session_key).delete()
        ended += 1
    return ended
