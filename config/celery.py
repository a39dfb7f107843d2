"""The Celery application, configured from Django's settings (``CELERY_*``).

The beat schedule lives here. Run exactly one ``celery beat`` per deployment:
two would queue every scan twice. That would do no harm (each reminder and
escalation is claimed once in the database) but doubles the work for nothing.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("greenlight")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

SCAN_EVERY = 300.0  # seconds
OUTBOX_SWEEP_EVERY = 60.0  # seconds: how late a notification whose trigger was lost arrives

app.conf.beat_schedule = {
    "scan-deadlines": {
        "task": "workflows.tasks.scan_deadlines",
        "schedule": SCAN_EVERY,
        # A scan nobody ran in time is dropped: the next one sees the same deadlines.
        "options": {"expires": SCAN_EVERY * 0.9},
    },
    "sweep-outbox": {
        "task": "workflows.tasks.sweep_outbox",
        "schedule": OUTBOX_SWEEP_EVERY,
        "options": {"expires": OUTBOX_SWEEP_EVERY * 0.9},
    },
    "scan-rhythm": {
        "task": "workflows.tasks.scan_rhythm",
        "schedule": SCAN_EVERY,
        "options": {"expires": SCAN_EVERY * 0.9},
    },
}
