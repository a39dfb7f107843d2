"""Run one deadline scan now: what beat does every few minutes (eager without a broker)."""

from django.core.management.base import BaseCommand

from workflows.tasks import scan_deadlines


class Command(BaseCommand):
    help = "Queue the due reminders and escalations (runs them in-process without a broker)."

    def handle(self, *args, **options):
        found = scan_deadlines()
        self.stdout.write(f"Reminders: {found['remind']}, escalations: {found['escalate']}.")
