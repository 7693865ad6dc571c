"""Two-factor sign-in with an authenticator app (TOTP, django-otp), optional or sponsor-mandated.

A user with a confirmed device signs in with the password as usual; sign-in marks the session
"pending" and TwoFactorMiddleware holds every request at the code page until a code is right —
whichever login page was used (ours, the admin's). A sponsor admin can require two-factor
sign-in: `sponsor_view` asks `sponsor_redirect` before any of that sponsor's pages, and a member
without a verified device is sent to set one up (or to give the code) first.
"""

import io
from base64 import b32encode, b64encode
from urllib.parse import urlencode

import django_otp
import qrcode
import qrcode.image.svg
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect
from django_otp.plugins.otp_totp.models import TOTPDevice

PENDING = "two_factor_pending"


def start(request, user):
    """At sign-in: a user with a confirmed device still owes a code."""
    if confirmed_device(user) is not None:
        request.session[PENDING] = True


def is_pending(request):
    return bool(request.session.get(PENDING)) and not request.user.is_verified()


def pending_paths():
    """What a user who still owes a code may open: the code page and sign-out."""
    return {reverse("two_factor_verify"), reverse("logout")}


def complete(request, device):
    """The code was right: the session is verified by this device from now on.

    The session gets a new key, as at sign-in, since it has just gained rights.
    """
    request.session.cycle_key()
    django_otp.login(request, device)
    request.session.pop(PENDING, None)


def confirmed_device(user):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def device_to_confirm(user):
    """The device being set up: its secret stays the same until a code confirms it."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def check_code(user, device, code):
    """True when `code` is right for `device`; django-otp throttles guesses and refuses replays."""
    return django_otp.verify_token(user, device.persistent_id, code) is not None


def throttled_for(device):
    """Seconds to wait before the next guess is even checked, or 0."""
    allowed, data = device.verify_is_allowed()
    if allowed or not data or "locked_until" not in data:
        return 0
    return max(1, int((data["locked_until"] - timezone.now()).total_seconds()) + 1)


def confirm(request, device):
    """A right code during setup: the device is confirmed and this session verified."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.devices_for_user(request.user, confirmed=False).delete()
    complete(request, device)


def turn_off(request):
    TOTPDevice.objects.devices_for_user(request.user).delete()
    request.session.pop(django_otp.DEVICE_ID_SESSION_KEY, None)
    request.session.pop(PENDING, None)


def is_required_for(user):
    """Does any sponsor the user belongs to require two-factor sign-in?"""
    # Through the ORM relations (engagements' Membership → Sponsor → SponsorSecurityPolicy):
    # accounts sits below engagements and imports nothing of it.
    return user.memberships.filter(sponsor__security_policy__require_two_factor=True).exists()


def members_without_device(sponsor):
    """How many of the sponsor's members have no confirmed authenticator app yet."""
    with_device = TOTPDevice.objects.filter(confirmed=True).values("user_id")
    return sponsor.memberships.exclude(user_id__in=with_device).count()


def sponsor_requires(sponsor):
    # A missing policy row is cached as None by select_related, so this costs no query there.
    policy = getattr(sponsor, "security_policy", None)
    return policy is not None and policy.require_two_factor


def sponsor_redirect(request, sponsor):
    """Where to send a member of `sponsor` who has not passed two-factor sign-in, or None."""
    if not sponsor_requires(sponsor) or request.user.is_verified():
        return None
    if confirmed_device(request.user) is not None:
        return redirect_to(request, "two_factor_verify")
    return redirect_to(request, "two_factor_setup")


def redirect_to(request, name):
    """Redirect to the page `name`, coming back to this one afterwards (GET only)."""
    url = reverse(name)
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()})
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def next_url(request, default="home"):
    """The `next` this page was opened with, if it is a path of this site."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(default)


def secret_for_display(device):
    """The base32 secret an app asks for when typed in by hand, in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_data_uri(text):
    """An SVG QR code of `text` as a data: URI (the CSP allows data: images, not inline SVG)."""
    buffer = io.BytesIO()
    qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return "data:image/svg+xml;base64," + b64encode(buffer.getvalue()).decode()
