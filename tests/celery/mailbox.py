"""An email backend for worker processes under test: one file per message, optionally slow.

Configured through the environment of the worker it runs in:
``GREENLIGHT_TEST_MAILDIR`` is where the files go. The first message whose subject
contains ``GREENLIGHT_TEST_SLOW_SUBJECT`` (when set) takes
``GREENLIGHT_TEST_MAIL_DELAY`` seconds, long enough to kill the worker in the
middle of sending it; later ones go at once. Each message leaves an
``attempt-*.json`` file (with the sending process's id) when sending starts and
a ``sent-*.json`` file when it is done.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class SlowFileBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        directory = Path(os.environ["GREENLIGHT_TEST_MAILDIR"])
        slow_subject = os.environ.get("GREENLIGHT_TEST_SLOW_SUBJECT", "")
        delay = float(os.environ.get("GREENLIGHT_TEST_MAIL_DELAY", "0"))
        for message in email_messages:
            record = json.dumps({"to": message.to, "subject": message.subject, "pid": os.getpid()})
            slow = slow_subject and slow_subject in message.subject
            first = slow and not any(
                slow_subject in r["subject"] for r in read(directory, "attempt")
            )
            name = uuid.uuid4().hex
            _write(directory, f"attempt-{name}.json", record)
            if first:
                time.sleep(delay)
            _write(directory, f"sent-{name}.json", record)
        return len(email_messages)


def _write(directory: Path, name: str, record: str) -> None:
    """Whole or not at all: a reader polling the directory never sees a half-written file."""
    partial = directory / f".partial-{name}"
    partial.write_text(record)
    os.replace(partial, directory / name)


def read(directory: Path, kind: str) -> list[dict]:
    """The ``attempt`` or ``sent`` records in ``directory``, oldest first."""
    paths = sorted(directory.glob(f"{kind}-*.json"), key=lambda path: path.stat().st_mtime_ns)
    return [json.loads(path.read_text()) for path in paths]
