"""The user (Django's, with the time zone every date is shown in) and a sponsor's sign-in rules."""

from django.contrib.auth.models import AbstractUser
from django.db import models

from .timezones import validate_time_zone


class User(AbstractUser):
    time_zone = models.CharField(
        max_length=64,
        default="Europe/London",
        validators=[validate_time_zone],
        help_text="Dates and times are shown, and entered, in this zone.",
    )
    # WCAG 2.2, 2.1.4: a shortcut of one character key must be possible to turn off.
    single_key_shortcuts = models.BooleanField(
        "single-key shortcuts",
        default=True,
        help_text="L puts the cursor in a project's log form. Turn it off if you use speech "
        "input or press keys by accident.",
    )

    def __str__(self):
        return self.get_full_name() or self.username


class SponsorSecurityPolicy(models.Model):
    """A sponsor's sign-in rules, set by its admins. No row means the defaults (all off)."""

    sponsor = models.OneToOneField(
        "engagements.Sponsor", on_delete=models.CASCADE, related_name="security_policy"
    )
    require_two_factor = models.BooleanField(
        default=False,
        help_text="Members must sign in with a code from an authenticator app.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name_plural = "sponsor security policies"

    def __str__(self):
        return f"Security policy of {self.sponsor}"
