"""Template filters for SLA figures: business durations and clock states."""

from django import template

register = template.Library()


@register.filter
def business_duration(minutes):
    """1 h 30 min, 45 min, 3 h — business time, so never days (a day is not 24 h here)."""
    if minutes is None or minutes == "":
        return "—"
    minutes = int(minutes)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    if hours:
        return f"{hours} h"
    return f"{rest} min"


STATE_BADGES = {
    "running": "info",
    "paused": "warn",
    "met": "active",
    "breached": "urgent",
    "void": "neutral",
    "untimed": "neutral",
}


@register.filter
def state_badge(state):
    return STATE_BADGES.get(state, "neutral")
