"""Benchmark of the audit trail: bulk append, streaming export and verification of N events.

Not a test: it prints figures. Peak memory is measured with tracemalloc, which
slows the traced pass down several times, so each export runs twice: once for
time, once for memory. Run ``.venv/bin/python bench/audit_trail.py [N]``
(SQLite in a temporary file by default; set DATABASE_URL to measure PostgreSQL,
on a database you can drop: the run creates its own schema there).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from apps.audit.export import export_stream  # noqa: E402
from apps.audit.models import Event  # noqa: E402
from apps.audit.services import events_record_many  # noqa: E402
from apps.audit.verify import chain_verify  # noqa: E402

COMPANY = 770_001


def rows(count: int):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(count):
        yield {
            "action": "feedback",
            "plan_id": n % 97 + 1,
            "revision": 1,
            "step": "review",
            "comment": f"Store visit {n}: shelves full, display as planned.",
            "data": {"n": n, "stores": [n % 7, n % 11]},
            "created_at": start + timedelta(seconds=n),
        }


def export(fmt: str, *, traced: bool) -> tuple[float, int, float]:
    if traced:
        tracemalloc.start()
    began, size = time.perf_counter(), 0
    with open(os.devnull, "w", encoding="utf-8") as sink:
        for block in export_stream(Event.objects.filter(company_id=COMPANY), fmt, chunk_size=2000):
            sink.write(block)
            size += len(block)
    seconds = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if traced else 0.0
    if traced:
        tracemalloc.stop()
    return seconds, size, peak


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    call_command("migrate", verbosity=0)
    print(f"{connection.vendor}: {count:,} events")
    began = time.perf_counter()
    with transaction.atomic():
        events_record_many(company_id=COMPANY, events=rows(count))
    seconds = time.perf_counter() - began
    print(f"  append   {seconds:7.1f} s  {count / seconds:9,.0f} events/s")
    for fmt in ("jsonl", "csv"):
        seconds, size, _ = export(fmt, traced=False)
        peak = export(fmt, traced=True)[2]
        print(
            f"  {fmt:<8} {seconds:7.1f} s  {count / seconds:9,.0f} events/s  "
            f"{size / 2**20:6.1f} MB written, peak {peak:.1f} MB"
        )
    began = time.perf_counter()
    report = chain_verify(company_ids=[COMPANY])
    seconds = time.perf_counter() - began
    state = "intact" if report.intact else f"{len(report.problems)} problems"
    print(f"  verify   {seconds:7.1f} s  {count / seconds:9,.0f} events/s  ({state})")


if __name__ == "__main__":
    main()
