"""Settings shared by every environment, read from environment variables.

Without DATABASE_URL the app runs on an embedded SQLite file; without REDIS_URL Celery
tasks run in-process (eager). With both set, the same code runs on PostgreSQL with real
workers and beat.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name, default=False):
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # The search's trigram lookups and index expressions (engagements/search.py, migration
    # 0008); on SQLite it only registers lookups that the search never uses there.
    "django.contrib.postgres",
    "django.forms",
    "django_htmx",
    "template_partials",
    "simple_history",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "accounts",
    "audit",
    "engagements",
    "scorecards",
]

MIDDLEWARE = [
    # First, so that every response and every log line of the request carries its id.
    "cdmo_portal.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signed-in responses are never stored by a browser or proxy (Back after sign-out).
    "accounts.middleware.NoStoreWhenSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during sign-in into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cdmo_portal.urls"
WSGI_APPLICATION = "cdmo_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "engagements.context_processors.sponsor_context",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    # Persistent connections are checked before each request reuses them, so a restarted
    # database costs a reconnect, not an error page.
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "var" / "db.sqlite3")),
            # IMMEDIATE avoids "database is locked" when the web process and a task write at once.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# django-axes checks every sign-in (form, admin) against its lockouts before Django checks the
# password; it authenticates nobody itself.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# ASVS V2.1: length over composition. 12 to 128 characters, any characters (no "must contain a
# digit" rule, hence no NumericPasswordValidator), common and user-like passwords refused.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {
        "NAME": "accounts.validators.MaximumLengthValidator",
        "OPTIONS": {"max_length": 128},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling (django-axes, with accounts.throttle on top). A lock is per source: this
# username from this IP address, so an attacker elsewhere cannot lock the real user out; and an
# IP address that fails on many usernames (credential stuffing) is locked for all of them.
AXES_HANDLER = "accounts.throttle.SignInThrottle"
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_FAILURE_LIMIT = 5
LOGIN_FAILURE_LIMIT_PER_IP = 20
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "accounts.security.client_ip"
AXES_USERNAME_CALLABLE = "accounts.security.client_username"
AXES_LOCKOUT_CALLABLE = "accounts.throttle.lockout_response"
AXES_VERBOSE = False  # our "security" log records each failure with its request id
# Masked in axes' records of failed attempts (it always masks the password).
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "csrfmiddlewaretoken"]
# How many reverse proxies of ours append to X-Forwarded-For (0: REMOTE_ADDR is the client).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# Sessions end after 30 minutes without a request, and 12 hours after sign-in whatever happens;
# accounts.middleware.SessionTimeoutMiddleware enforces both and keeps the stored expiry in step.
SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())

# Two-factor sign-in with an authenticator app (TOTP, django-otp).
OTP_TOTP_ISSUER = "CDMO Portal"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie: pages carry the token (forms, and hx-headers for htmx).
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "cdmo_portal.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Scripts and styles come only from our own files: no inline code, no eval (htmx is told so in
# base.html), nothing may frame the portal, forms post only to it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

# Celery: JSON only, bounded run time, late acks with redelivery when a worker dies.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# An SMTP server that accepts the connection and then hangs is given up on after this long, well
# inside the task's soft time limit: the sweep records the failure instead of being killed.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Workers' connections; a web request publishes with the tighter bounds of cdmo_portal.queue.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 1,
}
# A web request's own publishes (cdmo_portal.queue) wait at most this long, once, without retry.
ENQUEUE_BROKER_TIMEOUT = float(os.environ.get("ENQUEUE_BROKER_TIMEOUT", "0.25"))
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "default")
CELERY_TASK_ROUTES = {"scorecards.tasks.*": {"queue": CELERY_TASK_DEFAULT_QUEUE}}
CELERY_BEAT_SCHEDULE = {
    "sweep-stale-project-activity": {
        "task": "scorecards.tasks.sweep_stale_project_activity",
        "schedule": crontab(minute="*/5"),
    },
    # Breaches are recorded at their due time whenever the sweep runs; running it every
    # minute keeps notices prompt.
    "sweep-sla": {"task": "scorecards.tasks.sweep_sla", "schedule": 60.0},
    "clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
}

# A communication may be dated at most this far in the future (clock skew between devices).
COMMUNICATION_FUTURE_TOLERANCE_MINUTES = 5

# Every line carries the id of the request it belongs to (also sent as X-Request-ID). The
# "security" logger records each refused sign-in, lockout and access refusal.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "cdmo_portal.request_id.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "security": {"level": "INFO"},
        "axes": {"level": "WARNING"},
    },
}

FORM_RENDERER = "cdmo_portal.renderers.PortalFormRenderer"

# The audit trail keeps a reason of any length (a deletion's, a closed record's edit).
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
# Where links in e-mails point (cdmo_portal.links.absolute_url); production requires it.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# An invitation link works once, for this long.
INVITATION_VALID_FOR = timedelta(days=7)
