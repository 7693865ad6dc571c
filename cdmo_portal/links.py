"""Links that leave the site (e-mails): absolute URLs on SITE_URL, never on the request's Host."""

from django.conf import settings


def absolute_url(path):
    """`path` ("/s/helix/…", from reverse()) on the site's public address (settings.SITE_URL).

    Built from configuration, not from the Host header of whichever request triggered the
    e-mail, so a forged Host can never put another site's address into a link we send.
    """
    if not path.startswith("/"):
        raise ValueError(f"absolute_url() takes a path starting with '/': {path!r}")
    return settings.SITE_URL.rstrip("/") + path
