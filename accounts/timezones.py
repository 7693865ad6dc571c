"""IANA time zones: one validated list used by every form and model that takes a zone."""

import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError


@cache
def time_zone_choices():
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


def validate_time_zone(value):
    """Refuse anything that is not an IANA zone name known to this Python."""
    if value not in {name for name, _ in time_zone_choices()}:
        raise ValidationError(
            "“%(value)s” is not a known time zone; choose one such as Europe/Berlin.",
            params={"value": value},
            code="unknown_time_zone",
        )
