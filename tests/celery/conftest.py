"""A real Redis broker and real Celery worker processes sharing the test database.

The worker is a separate process, so it must reach the same database as the
test: the tests are transactional (data is committed, not hidden in the test's
transaction) and run only on PostgreSQL, whose test database the worker
connects to by name. pytest-django's SQLite test database lives in memory,
invisible to another process, so on SQLite these tests skip.

Each run gets its own Redis key prefix, so it shares the Redis database with
nobody: its queue, its unacknowledged messages and nothing else.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from tests.parts import missing_part

from .mailbox import read

BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY = [sys.executable, "-m", "celery"]  # the celery of the interpreter running the tests
VISIBILITY_TIMEOUT = 5  # seconds before a message a dead worker held is handed out again


@dataclass
class Broker:
    client: object
    prefix: str
    options: dict

    def idle(self) -> bool:
        """Nothing queued and nothing handed out but unacknowledged."""
        queued = self.client.llen(f"{self.prefix}celery")
        unacked = self.client.hlen(f"{self.prefix}unacked")
        return queued == 0 and unacked == 0


@pytest.fixture
def broker(monkeypatch):
    """This process publishes to Redis instead of running tasks eagerly; skips without Redis."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "the worker process must share the test database: run with DATABASE_URL "
            "pointing at PostgreSQL (the SQLite test database is in memory)"
        )
    # From here on this is a PostgreSQL run: in CI it must have its broker.
    if not BROKER_URL.startswith("redis://"):
        missing_part("no broker: set CELERY_BROKER_URL=redis://127.0.0.1:6379/<db> to run this")
    import redis

    client = redis.Redis.from_url(BROKER_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        missing_part(f"no Redis broker reachable at {BROKER_URL}: {error}")
    prefix = f"greenlight-test-{uuid.uuid4().hex[:12]}:"
    options = {
        "global_keyprefix": prefix,
        "visibility_timeout": VISIBILITY_TIMEOUT,
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }
    for name, value in [
        ("task_always_eager", False),
        ("broker_url", BROKER_URL),
        ("broker_transport_options", options),
    ]:
        monkeypatch.setitem(celery_app.conf, name, value)
    _fresh_producers()
    yield Broker(client=client, prefix=prefix, options=options)
    _fresh_producers()
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def _fresh_producers() -> None:
    """Drop pooled broker connections so the next publish uses the current options."""
    celery_app._after_fork()


@dataclass
class Workers:
    broker: Broker
    directory: Path
    started: list = field(default_factory=list)

    @property
    def maildir(self) -> Path:
        return self.directory / "mail"

    def start(self, name: str, pool: str = "solo", **mail: str) -> subprocess.Popen:
        """A worker on this run's queue, with the test database and the file mailbox.

        ``solo`` runs tasks in the worker process itself; ``prefork`` in one child process.
        """
        self.maildir.mkdir(exist_ok=True)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": BROKER_URL,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps(self.broker.options),
            "DJANGO_EMAIL_BACKEND": "tests.celery.mailbox.SlowFileBackend",
            "GREENLIGHT_TEST_MAILDIR": str(self.maildir),
            "AXES_ENABLED": "false",
            **mail,
        }
        log = (self.directory / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [
                *CELERY, "-A", "config", "worker", f"--pool={pool}", "--concurrency=1",
                "--loglevel=INFO",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
                "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: its pool's children die with it
        )  # fmt: skip
        self.started.append((name, process))
        return process

    def stop(self, process: subprocess.Popen) -> None:
        """Warm shutdown: the worker finishes its task and acknowledges it."""
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)

    def logs(self) -> str:
        return "\n".join(
            f"--- {name}\n" + (self.directory / f"{name}.log").read_text()[-3000:]
            for name, _ in self.started
        )

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.1)
        pytest.fail(f"timed out waiting for {what}\n{self.logs()}")

    def settle(self, what: str) -> None:
        """Wait until every message is done: none queued, none handed out, and every live
        worker says it holds no task (asked through the broker, not guessed by sleeping)."""
        self.wait_for(self._settled, what)

    def _settled(self) -> bool:
        if not self.broker.idle():
            return False
        live = [process for _, process in self.started if process.poll() is None]
        if not live:
            return True
        inspect = celery_app.control.inspect(timeout=5, limit=len(live))
        active, reserved = inspect.active() or {}, inspect.reserved() or {}
        answered = len(active) == len(reserved) == len(live)
        busy = any(active.values()) or any(reserved.values())
        # Idle again after the answers: nothing was handed out while they were given.
        return answered and not busy and self.broker.idle()

    def records(self, kind: str, subject: str) -> list[dict]:
        """The ``attempt`` or ``sent`` emails whose subject has ``subject``, oldest first."""
        return [record for record in read(self.maildir, kind) if subject in record["subject"]]

    def mail(self, kind: str, subject: str) -> list[str]:
        """Addressees of the ``attempt`` or ``sent`` emails whose subject has ``subject``."""
        return sorted(
            address
            for record in read(self.maildir, kind)
            if subject in record["subject"]
            for address in record["to"]
        )


@pytest.fixture
def workers(broker, world, tmp_path):
    """Start worker processes with ``workers.start(name)``; all are gone before the flush.

    A worker is ended with its whole process group: killing only the main process of a
    prefork worker would leave its pool's child running, still connected to the test
    database, which then cannot be dropped at the end of the run."""
    before = _other_sessions()
    pool = Workers(broker=broker, directory=tmp_path)
    yield pool
    for _, process in pool.started:
        _end_group(process)
    _wait_for_no_new_sessions(before)


def _end_group(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # warm shutdown: the pool's children too
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # whatever of the group is left, orphans too
    if process.poll() is None:
        process.wait(timeout=10)


def _other_sessions() -> set[tuple]:
    """The other connections to the test database now (none on SQLite)."""
    if connection.vendor != "postgresql":
        return set()
    query = (
        "SELECT pid, application_name FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    with connection.cursor() as cursor:
        cursor.execute(query)
        return set(cursor.fetchall())


def _wait_for_no_new_sessions(before: set[tuple], timeout: float = 30) -> None:
    """Every connection the workers opened is closed. Sessions that were there before they
    started (another test's server thread, say) are not theirs to answer for."""
    deadline = time.monotonic() + timeout
    while True:
        left = _other_sessions() - before
        if not left:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"the workers left sessions open on the test database: {sorted(left)}")
        time.sleep(0.1)


def _database_url() -> str:
    """The test database (not the configured one) as a URL for the worker process."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"])
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
