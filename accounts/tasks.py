"""Celery tasks of the accounts app."""

from importlib import import_module

from celery import shared_task
from django.conf import settings


@shared_task
def clear_expired_sessions():
    """Delete session rows past their expiry (they can no longer be used; this frees space)."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
