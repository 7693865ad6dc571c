"""The user: Django's user with the time zone every date on screen is shown in."""

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

    def __str__(self):
        return self.get_full_name() or self.username
