"""``manage.py export_audit``: one company's trail as CSV or JSON Lines, streamed to a file."""

from __future__ import annotations

import time
from argparse import ArgumentTypeError
from collections.abc import Iterable, Iterator
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from apps.audit.export import EXPORT_FIELDS, FORMATS, LINES, export_records
from apps.audit.models import Event
from apps.org.models import Company
from apps.plans.history import event_filter


class Progress:
    """Counts the events written and, when ``visible``, draws a bar on stderr every 0.2 s."""

    WIDTH = 30

    def __init__(self, stream, total: int, *, visible: bool) -> None:
        self.stream = stream
        self.total = max(total, 1)
        self.visible = visible
        self.done = 0
        self.drawn_at = 0.0

    def track(self, items: Iterable) -> Iterator:
        for item in items:
            self.done += 1
            if self.visible and time.monotonic() - self.drawn_at >= 0.2:
                self.draw()
            yield item
        if self.visible:
            self.draw()
            self.stream.write("\n", style_func=str, ending="")
            self.stream.flush()

    def draw(self) -> None:
        self.drawn_at = time.monotonic()
        share = min(self.done / self.total, 1.0)
        filled = int(share * self.WIDTH)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.stream.write(
            f"\rExporting [{bar}] {share:4.0%} {self.done:,}/{self.total:,} events",
            style_func=str,
            ending="",
        )
        self.stream.flush()


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ArgumentTypeError(f"a date as YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = (
        "Export a company's audit trail, oldest first, as CSV or JSON Lines. "
        f"Columns: {', '.join(EXPORT_FIELDS)}."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", metavar="SLUG", required=True)
        parser.add_argument(
            "--since", metavar="YYYY-MM-DD", type=_day, help="From this day on (site time zone)."
        )
        parser.add_argument("--format", choices=sorted(FORMATS), default="csv")
        parser.add_argument("--output", metavar="FILE", help="Write here instead of stdout.")
        parser.add_argument("--chunk-size", type=int, default=2000, help="Events per query.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar on stderr.")

    def handle(self, *args, **options):
        company = Company.objects.filter(slug=options["company"]).first()
        if company is None:
            raise CommandError(f"No company with slug {options['company']!r}.")
        events = event_filter(Event.objects.filter(company_id=company.pk), since=options["since"])
        chunk_size = options["chunk_size"]
        total = events.count()
        progress = Progress(
            self.stderr, total, visible=not options["no_progress"] and total > chunk_size
        )
        records = progress.track(export_records(events, chunk_size=chunk_size))
        lines = LINES[options["format"]](records)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as out:
                out.writelines(lines)
            message = f"Wrote {progress.done} events to {options['output']}."
            self.stderr.write(message, style_func=str)
        else:
            self.stdout.writelines(lines)
