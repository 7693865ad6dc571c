"""Enqueue background work after the current transaction commits, never failing the write.

The database is the truth and the queue a speed-up: callers mark what is stale in the same
transaction, and the periodic sweep picks up anything that was never enqueued because the
broker was down.

A publish from here waits for Redis at most ENQUEUE_BROKER_TIMEOUT seconds, once: its own
connection (one per thread) has short connect and read timeouts and no retries, so a broker
that refuses, or accepts the connection and then says nothing (a frozen process, a dead
network path), costs a request a fraction of a second. After a failure the process leaves
that broker alone for ENQUEUE_PAUSE seconds, so an answer attached to many requests pays the
timeout once, not once per request.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

ENQUEUE_PAUSE = 10.0

_local = threading.local()
_paused_until = {}  # broker URL → time.monotonic() before which nothing is sent to it


def _connection(app):
    """This thread's publishing connection to the current broker, with short timeouts."""
    url = app.conf.broker_url
    cached = getattr(_local, "connection", None)
    if cached is not None and cached[0] == url:
        return cached[1]
    _drop_connection()
    timeout = settings.ENQUEUE_BROKER_TIMEOUT
    connection = app.connection_for_write(
        connect_timeout=timeout,
        transport_options={
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout,
            "max_retries": 0,
        },
    )
    _local.connection = (url, connection)
    return connection


def _drop_connection():
    cached = getattr(_local, "connection", None)
    _local.connection = None
    if cached is not None:
        try:
            cached[1].release()
        except Exception:  # a broken connection may fail to close as well
            logger.debug("could not close the broker connection", exc_info=True)


def _publish(task, args):
    app = task.app
    if app.conf.task_always_eager:
        task.apply_async(args)
        return
    url = app.conf.broker_url
    if time.monotonic() < _paused_until.get(url, 0):
        logger.warning("broker unavailable; %s%r left for the sweep", task.name, args)
        return
    try:
        task.apply_async(args, connection=_connection(app), retry=False)
    except Exception:
        _drop_connection()
        _paused_until[url] = time.monotonic() + ENQUEUE_PAUSE
        raise


def _send(task, args):
    try:
        _publish(task, args)
    except (OperationalError, ConnectionError, OSError):
        logger.warning("broker unavailable; %s%r left for the sweep", task.name, args)
    except Exception:
        # The write has committed: whatever went wrong here, the sweep reconciles it, and
        # the user must not see an error for data that was saved.
        logger.exception("could not enqueue %s%r; left for the sweep", task.name, args)


def enqueue_on_commit(task, *args):
    """Send `task(*args)` once the transaction commits; a broker outage is logged, not raised."""
    transaction.on_commit(lambda: _send(task, args))
