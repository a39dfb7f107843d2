from django.core.management.base import BaseCommand

from apps.demo.seed import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create the demo companies, users and plans (idempotent)."

    def handle(self, *args, **options):
        created = seed_demo()
        if created:
            for item in created:
                self.stdout.write(f"created {item}")
        else:
            self.stdout.write("demo data already present")
        self.stdout.write(f"every demo account's password is {DEMO_PASSWORD!r}")
