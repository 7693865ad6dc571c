"""Test settings: the real databases and broker when their URLs are set (CI always sets them)."""

from .base import *  # noqa: F403

SECRET_KEY = "test-only-not-a-secret"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
WHITENOISE_AUTOREFRESH = True
STORAGES = {
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests run tasks in-process unless a test starts a real worker on the Redis broker.
CELERY_TASK_ALWAYS_EAGER = True

# The suite empties tables between transactional tests with TRUNCATE, which the audit tables
# refuse; their trigger lets it through only in a test database (test_…) whose session sets
# this (engagements migration 0005). Tests of the refusal switch it off with SET LOCAL.
if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (  # noqa: F405
        "-c cdmo.allow_audit_truncate=on"
    )
