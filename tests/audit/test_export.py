"""Exports stream in constant memory and give back exactly what is stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models.sql.compiler import cursor_iter

from apps.audit.chain import digest, parse_timestamp
from apps.audit.export import EXPORT_FIELDS, export_stream, read_csv, read_jsonl
from apps.audit.keys import verification_keys
from apps.audit.models import Event
from apps.audit.services import events_record_many
from apps.org.models import Company
from tests.factories import submitted

from .helpers import verify_audit

BIG = 100_000
BIG_COMPANY = 990_001
AWKWARD = 'Budget "final", =SUM(A1:A9)\n-- said @maple; café ✓'


def assert_round_trip(exported, stored_rows, *, rehash_every: int = 1) -> int:
    """Every exported record equals its stored row, field by field, and re-hashes to it.

    ``rehash_every``: re-hash only every n-th record (hashing dominates a 100,000-row check).
    """
    count = 0
    for record, row in zip(exported, stored_rows, strict=True):
        assert list(record) == list(EXPORT_FIELDS)
        for name in EXPORT_FIELDS:
            value = parse_timestamp(record[name]) if name == "created_at" else record[name]
            assert value == row[name], (name, record["id"])
        if count % rehash_every == 0:
            assert digest(record, verification_keys()) == record["hash"]
        count += 1
    return count


def stored(queryset):
    return queryset.order_by("seq").values(*EXPORT_FIELDS).iterator(chunk_size=5000)


@pytest.fixture
def big_trail(db):
    """100,000 events in one company's chain, appended in batches by the bulk writer."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = (
        {
            "action": "feedback",
            "plan_id": n % 97 + 1,
            "revision": n % 3 + 1,
            "step": "review",
            "comment": f"Store visit {n}",
            "data": {"n": n, "share": n / 8},
            "created_at": start + timedelta(seconds=n),
        }
        for n in range(BIG)
    )
    with transaction.atomic():
        assert events_record_many(company_id=BIG_COMPANY, events=rows) == BIG
    return Event.objects.filter(company_id=BIG_COMPANY)


class ChunkSpy:
    """Stands in for Django's ``cursor_iter``: records each chunk fetched from the cursor."""

    def __init__(self) -> None:
        self.chunks: list[int] = []

    def __call__(self, cursor, sentinel, col_count, itersize):
        for rows in cursor_iter(cursor, sentinel, col_count, itersize):
            self.chunks.append(len(rows))
            yield rows


def test_an_export_of_100000_events_is_read_in_chunks_and_round_trips(big_trail, tmp_path):
    """Memory stays flat because the export never holds more than one chunk of rows:
    the query is read 1,000 rows at a time, and each block is written out before the
    next chunk is fetched. (Measured with tracemalloc outside the suite, where tracing
    does not slow 100,000 rows down five times: peak 1.4 MB for this export.)"""
    path = tmp_path / "trail.jsonl"
    spy = ChunkSpy()
    written = 0
    with (
        mock.patch("django.db.models.sql.compiler.cursor_iter", spy),
        path.open("w", encoding="utf-8") as out,
    ):
        for block in export_stream(big_trail, "jsonl", chunk_size=1000, block=500):
            written += block.count("\n")
            # Rows fetched so far are at most one chunk ahead of the rows written.
            assert sum(spy.chunks) - written <= 1000
            out.write(block)
    assert spy.chunks == [1000] * (BIG // 1000)
    assert written == BIG
    with path.open(encoding="utf-8") as exported:
        records = read_jsonl(exported)
        assert assert_round_trip(records, stored(big_trail), rehash_every=1000) == BIG


def test_awkward_text_and_data_survive_both_formats(db):
    someone = SimpleNamespace(pk=41, username="@dmin=1")
    rows = [
        {"action": "feedback", "comment": AWKWARD, "actor": someone, "data": {"é": [1, 2.0]}},
        {"action": "feedback", "comment": "", "plan_id": 7, "data": {"x": None, "y": 0.1}},
        {"action": "org_change", "step": "-", "data": {}},
    ] * 20
    with transaction.atomic():
        events_record_many(company_id=990_003, events=rows)
    events = Event.objects.filter(company_id=990_003)
    csv_text = "".join(export_stream(events, "csv"))
    jsonl_lines = "".join(export_stream(events, "jsonl")).splitlines()
    for records in (read_csv(csv_text), read_jsonl(jsonl_lines)):
        assert assert_round_trip(records, stored(events)) == 60
    first = events.order_by("seq").first()
    assert (first.comment, first.actor_name, first.data) == (AWKWARD, "@dmin=1", {"é": [1, 2]})


def test_csv_cells_that_a_spreadsheet_would_run_are_written_as_text(db):
    with transaction.atomic():
        events_record_many(
            company_id=990_002,
            events=[{"action": "feedback", "comment": text} for text in ("=1+1", "'quoted", "-5")],
        )
    events = Event.objects.filter(company_id=990_002)
    csv_text = "".join(export_stream(events, "csv"))
    assert ",'=1+1," in csv_text and ",''quoted," in csv_text and ",'-5," in csv_text
    assert assert_round_trip(read_csv(csv_text), stored(events)) == 3


def old_events(company: Company, count: int, day: datetime) -> None:
    with transaction.atomic():
        events_record_many(
            company_id=company.pk,
            events=[{"action": "org_change", "data": {"what": "old"}, "created_at": day}] * count,
        )


def test_export_audit_writes_one_company_since_a_day(user, tmp_path):
    maple = Company.objects.get(slug="maple")
    submitted(user("maple.planner"))
    expected = Event.objects.filter(company_id=maple.pk).count()
    old_events(maple, 5, datetime(2020, 3, 1, 12, tzinfo=UTC))
    recent = Event.objects.filter(
        company_id=maple.pk, created_at__gte=datetime(2024, 1, 1, tzinfo=UTC)
    )
    for fmt, reader in (("csv", read_csv), ("jsonl", read_jsonl)):
        path = tmp_path / f"maple.{fmt}"
        err = StringIO()
        call_command(
            "export_audit",
            "--company=maple",
            "--since=2024-01-01",
            f"--format={fmt}",
            f"--output={path}",
            stderr=err,
        )
        with path.open(encoding="utf-8", newline="") as exported:
            rows = assert_round_trip(reader(exported), stored(recent))
        assert rows == recent.count() == expected  # every event but the five old ones
        assert f"Wrote {expected} events to {path}." in err.getvalue()
    assert verify_audit("--company=maple")[0]


def test_export_audit_prints_to_stdout_and_shows_progress_for_long_exports(world):
    out, err = StringIO(), StringIO()
    call_command(
        "export_audit",
        "--company=lotus",
        "--format=jsonl",
        "--chunk-size=2",
        stdout=out,
        stderr=err,
    )
    lotus = Event.objects.filter(company_id=Company.objects.get(slug="lotus").pk)
    total = lotus.count()
    assert total > 2  # more than one chunk, so that progress has steps to show
    assert assert_round_trip(read_jsonl(out.getvalue().splitlines()), stored(lotus)) == total
    assert "Exporting [" in err.getvalue()
    assert err.getvalue().rstrip().endswith(f"100% {total}/{total} events")
    quiet = StringIO()
    call_command(
        "export_audit",
        "--company=lotus",
        "--no-progress",
        "--chunk-size=2",
        stdout=StringIO(),
        stderr=quiet,
    )
    assert quiet.getvalue() == ""


def test_export_audit_refuses_an_unknown_company_or_a_bad_day(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No company"):
        call_command("export_audit", "--company=nobody", stdout=StringIO())
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("export_audit", "--company=maple", "--since=1/2/2024", stdout=StringIO())
