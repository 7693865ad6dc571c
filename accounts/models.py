"""The user: Django's, with the time zone every date is shown in.

A sponsor's sign-in rules are sponsor configuration, audited: engagements.SponsorSecurityPolicy
(reached from here only through the ORM relation `sponsor.security_policy`).
"""

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

    def save(self, *args, **kwargs):
        """A deactivated user's sessions end now: reactivating them later revives none."""
        fields = kwargs.get("update_fields")
        was_active = (
            self.pk is not None
            and (fields is None or "is_active" in fields)
            and type(self)._default_manager.filter(pk=self.pk, is_active=True).exists()
        )
        super().save(*args, **kwargs)
        if was_active and not self.is_active:
            from .sessions import end_sessions

            end_sessions([self.pk])
