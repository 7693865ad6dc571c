"""A real Celery worker for tests that run one as a subprocess: test settings, no eager mode."""

from .test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
