"""Enqueue background work after the current transaction commits, never failing the write.

The database is the truth and the queue a speed-up: callers mark what is stale in the same
transaction, and the periodic sweep picks up anything that was never enqueued because the
broker was down.
"""

import logging

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def _send(task, args):
    try:
        task.delay(*args)
    except (OperationalError, ConnectionError, OSError):
        logger.warning("broker unavailable; %s%r left for the sweep", task.name, args)
    except Exception:
        # The write has committed: whatever went wrong here, the sweep reconciles it, and
        # the user must not see an error for data that was saved.
        logger.exception("could not enqueue %s%r; left for the sweep", task.name, args)


def enqueue_on_commit(task, *args):
    """Send `task(*args)` once the transaction commits; a broker outage is logged, not raised."""
    transaction.on_commit(lambda: _send(task, args))
