"""The read paths at 10,000 (and 100,000) plans, through the real views and endpoints.

Each path is requested through Django's test client (URL routing, middleware, session
authentication, the view, the serializer or the template) as the person who uses it:
the reviewer's queue and inbox and home page, the plan list, the auditor's trail, the
planner's and the signer's home pages, the signer's (empty) inbox and the web queue.
p50/p95 over ``SAMPLES`` requests after a warm-up, and the statements each request runs.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from typing import Any

from django.db import connection
from django.test import Client

from . import loader
from .lifecycle import World

SAMPLES = 25
# name: (URL, who asks)
PATHS = {
    "api_queue": ("/api/tasks/?scope=queue", "sales"),
    "api_inbox": ("/api/tasks/?scope=inbox", "sales"),
    # the signer holds no task: the inbox of someone holding few, read from their own rows
    "api_inbox_signer": ("/api/tasks/?scope=inbox", "gm"),
    "api_plans": ("/api/plans/", "sales"),
    "api_audit_events": ("/api/audit/events/", "auditor"),
    "web_home": ("/", "sales"),
    "web_home_planner": ("/", "planner"),
    "web_home_signer": ("/", "gm"),
    "web_tasks_queue": ("/tasks/?scope=queue", "sales"),
    "api_plan_history": ("/api/plans/{plan}/history/", "sales"),
}


def _sample(client: Client, url: str) -> tuple[list[float], int]:
    for _ in range(3):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    statements = []
    with connection.execute_wrapper(
        lambda execute, sql, *args: statements.append(sql) or execute(sql, *args)
    ):
        client.get(url)
    times = []
    for _ in range(SAMPLES):
        began = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - began) * 1000)
    return times, len(statements)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _export(client: Client) -> dict[str, Any]:
    """The whole trail through the export endpoint, streamed; once timed, once traced."""
    url = "/api/audit/export/?format=jsonl"
    began, size = time.perf_counter(), 0
    for block in client.get(url).streaming_content:
        size += len(block)
    seconds = time.perf_counter() - began
    tracemalloc.start()
    for _block in client.get(url).streaming_content:
        pass
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "seconds": round(seconds, 1),
        "mb_written": round(size / 2**20, 1),
        "peak_mb": round(peak, 1),
    }


def measure(*, sizes: list[int], full: bool) -> dict[str, Any]:
    world = World.shared()
    clients = {}
    for who in {who for _, who in PATHS.values()}:
        clients[who] = Client()
        clients[who].force_login(world.members[f"bench.{who}"])
    result: dict[str, Any] = {"sizes": {}}
    for size in sorted(sizes):
        loaded = loader.load(world, plans=size)
        plan = world.planner.authored_plans.filter(submitted_at__isnull=False).first()
        measured = {"loaded": loaded}
        for name, (url, who) in PATHS.items():
            times, queries = _sample(clients[who], url.format(plan=plan.pk))
            measured[name] = {
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(_percentile(times, 0.95), 1),
                "queries": queries,
            }
        if full and size == max(sizes):
            measured["export"] = _export(clients["auditor"]) | {"events": loaded["events"]}
        result["sizes"][str(size)] = measured
    for name in PATHS:
        row: dict[str, Any] = {}
        for size, measured in result["sizes"].items():
            label = _label(int(size))
            row[f"p50_ms_{label}"] = measured[name]["p50_ms"]
            row[f"p95_ms_{label}"] = measured[name]["p95_ms"]
            row[f"queries_{label}"] = measured[name]["queries"]
        counts = {measured[name]["queries"] for measured in result["sizes"].values()}
        row["queries"] = counts.pop() if len(counts) == 1 else sorted(counts)
        result[name] = row
    return result


def _label(size: int) -> str:
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


def print_reads(result: dict[str, Any], sizes: list[int]) -> None:
    labels = [_label(s) for s in sorted(sizes)]
    print(
        "\nReads (p50 / p95 ms, statements per request), "
        + ", ".join(
            f"{_label(int(s))}: {m['loaded']['plans']:,} plans, "
            f"{m['loaded']['events']:,} events, loaded in {m['loaded']['seconds']} s"
            for s, m in result["sizes"].items()
        )
    )
    print(f"{'':18s}" + "".join(f"{label:>24s}" for label in labels) + "   goal p95 < 50 ms")
    for name in PATHS:
        row = result[name]
        cells = "".join(
            f"{row[f'p50_ms_{x}']:9.1f} /{row[f'p95_ms_{x}']:7.1f} ({row[f'queries_{x}']:2d})"
            for x in labels
        )
        print(f"{name:18s}{cells}")
    for measured in result["sizes"].values():
        if "export" in measured:
            e = measured["export"]
            print(
                f"export of {e['events']:,} events (jsonl): {e['seconds']} s, "
                f"{e['mb_written']} MB, peak {e['peak_mb']} MB traced (goal < 150 MB)"
            )
