"""Django's ``flush``, with the audit trail's append-only triggers lifted while it runs.

``flush`` empties every table, the audit trail included, and Django's test
framework calls it after each transactional test. The triggers refuse exactly
that, so this command drops them for the flush and puts them back after it,
in one transaction (both databases roll DDL back with the rest).
"""

from django.core.management.commands import flush
from django.db import connections

from apps.audit import guard


class Command(flush.Command):
    help = flush.Command.help + " The audit trail's append-only triggers are kept in place."

    def handle(self, **options):
        connection = connections[options["database"]]
        with guard.lifted(connection):
            return super().handle(**options)
