"""A real Celery worker for tests that run one as a subprocess: test settings, no eager mode.

A fault drill may point its e-mail at a private SMTP server (EMAIL_BACKEND, EMAIL_HOST,
EMAIL_PORT, EMAIL_TIMEOUT in the environment).
"""

import os

from .test import *  # noqa: F403
from .test import EMAIL_BACKEND, EMAIL_TIMEOUT

CELERY_TASK_ALWAYS_EAGER = False
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", EMAIL_BACKEND)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", str(EMAIL_TIMEOUT)))
