"""``manage.py company_create``: a company set up as its size prescribes, with its administrator."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import ValidationError
from apps.org.models import CoreTask, Focus, Size
from apps.org.setup import company_setup
from apps.org.strategy import company_strategy_update


class Command(BaseCommand):
    help = (
        "Create a company with the departments and positions of its size and name its "
        "administrator (the combined department's head, the general manager or the marketing "
        "director). The administrator's password comes from GREENLIGHT_ADMIN_PASSWORD, or is "
        "set later with `manage.py changepassword`."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--slug", required=True)
        parser.add_argument("--size", required=True, choices=Size.values)
        parser.add_argument("--admin", required=True, help="The administrator's username.")
        parser.add_argument("--admin-email", default="")
        parser.add_argument("--focus", choices=Focus.values, help="The marketing focus.")
        parser.add_argument(
            "--core-task", choices=CoreTask.values, help="The company's current core task."
        )

    def handle(self, *args, **options):
        try:
            company, vacant = company_setup(
                name=options["name"],
                slug=options["slug"],
                size=options["size"],
                admin_username=options["admin"],
                admin_email=options["admin_email"],
                admin_password=os.environ.get("GREENLIGHT_ADMIN_PASSWORD") or None,
            )
            if options["focus"] or options["core_task"]:
                company_strategy_update(
                    actor=None,
                    company=company,
                    focus=options["focus"],
                    core_task=options["core_task"],
                )
                company.refresh_from_db()
        except ValidationError as error:
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in (error.fields or {}).items())
            raise CommandError(f"{error.message} {details}".strip()) from None
        departments = ", ".join(company.departments.order_by("id").values_list("name", flat=True))
        self.stdout.write(
            f"{company.name} ({company.get_size_display().lower()}): {departments}; "
            f"administrator {options['admin']}."
        )
        if vacant:
            self.stdout.write(f"Still to fill: {', '.join(vacant)}.")
        if not company.focus or not company.core_task:
            self.stdout.write(
                "Its administrator sets the strategy (focus and current core task) under "
                "Company → Strategy; until then plans name their own."
            )
