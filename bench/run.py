"""``make bench``: a lifecycle against bare viewflow and the floor, then the read paths.

Not a test: the machine is shared and noisy, so the lifecycle figures are ratios
against baselines measured in the same run, and the reads compare sizes measured in
the same run. SQLite (a temporary file) by default; PostgreSQL with DATABASE_URL (the
run creates and drops ``<name>_run`` beside it). Prints a table and writes
bench/results/latest.json.

    python bench/run.py                 # lifecycle + reads at 10,000 plans
    python bench/run.py --full          # + reads at 100,000 plans, 1,000,000-event export
    python bench/run.py --sizes 1000    # reads at other sizes (development)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

import django  # noqa: E402

django.setup()
logging.getLogger("celery").setLevel(logging.WARNING)

from django.db import connection  # noqa: E402

from bench import lifecycle  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true", help="reads at 100k, 1M-event export")
    parser.add_argument("--sizes", type=int, nargs="*", help="plan counts for the reads")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=0, help="lifecycles per round and variant")
    parser.add_argument("--skip-lifecycle", action="store_true")
    parser.add_argument("--skip-reads", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database (to explain)")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the parts of latest.json that this run skips (each part says when it ran)",
    )
    args = parser.parse_args()
    sizes = args.sizes or ([10_000, 100_000] if args.full else [10_000])
    began = time.perf_counter()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    result: dict = {
        "database": connection.vendor,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    try:
        if not args.skip_lifecycle:
            batch = args.batch or (8 if connection.vendor == "sqlite" else 10)
            measured = lifecycle.measure(rounds=args.rounds, batch=batch)
            lifecycle.print_lifecycle(measured)
            variants = measured["variants"]
            result["lifecycle"] = {
                "greenlight_per_s": variants["greenlight"]["per_s"],
                "viewflow_per_s": variants["viewflow"]["per_s"],
                "floor_per_s": variants["floor"]["per_s"],
                "ratio_to_viewflow": round(
                    variants["greenlight"]["per_s"] / variants["viewflow"]["per_s"], 3
                ),
                "statements_per_lifecycle": variants["greenlight"]["statements"],
                "after_commit_statements_per_lifecycle": variants["greenlight"]["after_commit"],
                # the same run, the after-commit relay (eager in the bench) added back
                "greenlight_with_relay_per_s": variants["greenlight"]["with_relay_per_s"],
                "ratio_with_relay_to_viewflow": round(
                    variants["greenlight"]["with_relay_per_s"] / variants["viewflow"]["per_s"], 3
                ),
                "relay_ms_per_lifecycle": variants["greenlight"]["relay_ms"],
                "relay_statements_per_lifecycle": variants["greenlight"]["after_commit"],
                "detail": measured,
            }
        if not args.skip_reads:
            from bench import reads

            result["reads"] = reads.measure(sizes=sizes, full=args.full)
            reads.print_reads(result["reads"], sizes)
    finally:
        if not args.keep:
            connection.creation.destroy_test_db(name, verbosity=0)
    result["seconds"] = round(time.perf_counter() - began, 1)
    RESULTS.mkdir(exist_ok=True)
    latest = RESULTS / "latest.json"
    for part in ("lifecycle", "reads"):
        if part in result:
            result[part]["measured"] = {k: result[k] for k in ("database", "machine", "when")}
    if args.merge and latest.exists():
        result = json.loads(latest.read_text()) | result
    latest.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"\n{connection.vendor}, {result['machine']}; {result['seconds']} s; "
        f"written to bench/results/latest.json"
    )


if __name__ == "__main__":
    main()
