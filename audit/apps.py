from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The audit trail: recording every write (trail), reading it back (history), the
    append-only guard on PostgreSQL (triggers). Infrastructure every app uses; it imports no app
    but accounts."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"
