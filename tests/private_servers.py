"""Private servers for the fault drills: SMTP, Redis and PostgreSQL of the test's own.

Each is started on a free port of 127.0.0.1 by the test that needs it and stopped by its own
pid, so a drill may refuse, freeze or restart it without touching the machine's shared
services.
"""

import asyncio
import email
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from aiosmtpd.controller import Controller

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


class Mailbox:
    """An aiosmtpd handler that keeps what it accepts and can refuse or hold on demand.

    `refuse` is an SMTP reply ("421 …", "554 …") given to every RCPT instead of accepting it.
    `hold_at` = n holds the n-th message's DATA (1-based) until `release` is set, then answers
    451 without keeping it: a client killed meanwhile never had it accepted.
    """

    def __init__(self):
        self.messages = []
        self.refuse = None
        self.refused = 0
        self.hold_at = None
        self.holding = threading.Event()
        self.release = threading.Event()
        self._data_seen = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            self.refused += 1
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self._data_seen += 1
        if self._data_seen == self.hold_at:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
            return "451 Aborted"
        self.messages.append(email.message_from_bytes(envelope.original_content))
        return "250 Message accepted"

    def message_ids(self):
        return [m["Message-ID"] for m in self.messages]


class SmtpServer:
    """A local SMTP server on a fixed free port that can be taken down and brought back."""

    def __init__(self):
        self.port = free_port()
        self.mailbox = Mailbox()
        self._controller = None

    def start(self):
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def settings(self, timeout=2):
        """Django settings that send through this server."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_TIMEOUT": timeout,
            "EMAIL_USE_TLS": False,
        }


@contextmanager
def smtp_server(started=True):
    server = SmtpServer()
    if started:
        server.start()
    try:
        yield server
    finally:
        server.mailbox.release.set()
        server.stop()


@contextmanager
def hung_smtp_server():
    """A port that accepts connections (the kernel's backlog) and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


class RedisServer:
    def __init__(self, process, port):
        self.process = process
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.frozen = False

    def freeze(self):
        """SIGSTOP: connections are still accepted by the kernel, but nothing ever answers."""
        os.kill(self.process.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self):
        os.kill(self.process.pid, signal.SIGCONT)
        self.frozen = False


@contextmanager
def redis_server():
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - a fixed command line of our own
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = RedisServer(process, port)
    try:
        wait_for_port(port)
        yield server
    finally:
        if server.frozen:
            server.thaw()
        process.terminate()
        process.wait(timeout=10)


class PostgresServer:
    """A PostgreSQL cluster in a temporary directory, run as the postgres user under root."""

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="cdmo-pg-"))
        self.data = self.dir / "data"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        self._user = None
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            self._user = account.pw_uid
            os.chown(self.dir, account.pw_uid, account.pw_gid)

    def _run(self, *args, timeout=60):
        subprocess.run(  # noqa: S603 - PostgreSQL's own tools, fixed arguments
            [str(PG_BIN / args[0]), *args[1:]],
            check=True,
            timeout=timeout,
            user=self._user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def init(self):
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")

    def start(self):
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w",
            "start",
        )  # fmt: skip

    def stop(self, mode="fast"):
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self):
        return (self.data / "postmaster.pid").exists()

    def remove(self):
        if self.running():
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def postgres_server():
    server = PostgresServer()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.remove()
