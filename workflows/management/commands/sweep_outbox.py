"""Run one outbox sweep now: what beat does every minute (eager without a broker)."""

from django.core.management.base import BaseCommand

from workflows.tasks import sweep_outbox


class Command(BaseCommand):
    help = "Relay the notifications still waiting in the outbox and prune old relayed rows."

    def handle(self, *args, **options):
        done = sweep_outbox()
        self.stdout.write(f"Relayed: {done['relayed']}, pruned: {done['pruned']}.")
