"""`make load`: fifty simulated people against `make serve`, two workers killed, then the checks.

Run it through ``config/serve env`` so that it reads the same database, broker and
keys as the running servers. It refuses any address but this machine's loopback,
and every loop in it is bounded in time and count.

1. The demo companies are seeded (idempotent) and each demo person gets an API token.
2. locust runs headless: USERS people for DURATION seconds, at most MAX_REQUESTS requests,
   each pausing LOAD_WAIT seconds (default 2-6) between two actions.
3. Meanwhile one gunicorn worker and one Celery pool process are killed with SIGKILL;
   their supervisors (gunicorn's arbiter, Celery's pool) must replace them.
4. Once the queue is empty and no e-mail waits, the after-checks run
   (``load/check.py``), and ``load/results/latest.json`` gets the figures.
"""

from __future__ import annotations

import csv
import email
import ipaddress
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "load" / "results"
WORK = ROOT / "var" / "load"
MAILDIR = ROOT / "var" / "mail"

URL = os.environ.get("LOAD_URL", "http://127.0.0.1:8000")
USERS = int(os.environ.get("LOAD_USERS", "50"))
DURATION = int(os.environ.get("LOAD_SECONDS", "60"))
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "30000"))
# A person's pause between two actions, "MIN-MAX" seconds. The default paces people as
# people; LOAD_WAIT=0.2-1.0 makes them clicking machines and finds the server's ceiling.
WAIT = os.environ.get("LOAD_WAIT", "2-6")
P95_GOAL_MS = 300
SETTLE_SECONDS = 180

ROLES = {
    "planner": ["lotus.planner", "lotus.seller", "maple.planner", "north.planner"],
    "reviewer": [
        "lotus.seller",
        "lotus.planner",
        "maple.sales",
        "north.sales.east",
        "north.sales.west",
    ],
    "signer": ["lotus.head", "maple.gm", "maple.salesdir", "north.director"],
    "auditor": ["lotus.auditor", "maple.auditor", "north.auditor"],
}


def loopback_only(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    sys.exit(f"LOAD_URL must point at this machine's loopback, not {url!r}.")


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    import django

    django.setup()


def accounts() -> dict[str, list[tuple[str, str]]]:
    """Each role's demo people with an API token, made in the database."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    users = {u.username: u for u in get_user_model().objects.filter(is_active=True)}
    result = {}
    for role, names in ROLES.items():
        result[role] = [
            (name, Token.objects.get_or_create(user=users[name])[0].key)
            for name in names
            if name in users
        ]
    return result


def _argv(pid: int | str) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _runs(argv: list[str], program: str, role: str) -> bool:
    """Is this process ``program`` itself (not a shell that started it), in ``role``?"""
    return any(Path(arg).name == program for arg in argv[:2]) and role in argv


def supervised(program: str, role: str) -> list[int]:
    """The processes of ``program`` (in ``role``) whose parent is that program too: the
    gunicorn workers under their arbiter, the Celery pool under its worker."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if _runs(_argv(entry.name), program, role) and _runs(_argv(parent), program, role):
            found.append(int(entry.name))
    return sorted(found)


def titled(title: str) -> list[int]:
    """Processes whose title (set by setproctitle, when installed) contains ``title``."""
    return sorted(
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and title in " ".join(_argv(entry.name))
    )


def gunicorn_workers() -> list[int]:
    return titled("gunicorn: worker [") or supervised("gunicorn", "config.wsgi:application")


def celery_pool() -> list[int]:
    return titled(":ForkPoolWorker-") or supervised("celery", "worker")


def inject_faults(started: float, log: list[dict]) -> None:
    """A third into the run SIGKILL one web worker; halfway, one Celery pool process."""
    for at, kind, find in (
        (DURATION / 3, "gunicorn worker", gunicorn_workers),
        (DURATION / 2, "celery pool process", celery_pool),
    ):
        time.sleep(max(started + at - time.monotonic(), 0))
        victims = find()
        entry = {"after_s": round(at, 1), "kind": kind, "pid": None, "before": len(victims)}
        if victims:
            entry["pid"] = victims[0]
            os.kill(victims[0], signal.SIGKILL)
        log.append(entry)


def run_locust(tokens: dict) -> dict:
    WORK.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "LOAD_ACCOUNTS": json.dumps(tokens),
        "LOAD_MAX_REQUESTS": str(MAX_REQUESTS),
        "LOAD_CONFLICTS_FILE": str(WORK / "conflicts.json"),
        "LOAD_WAIT": WAIT,
    }
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(ROOT / "load" / "locustfile.py"),
        "--headless",
        "--users",
        str(USERS),
        "--spawn-rate",
        str(max(USERS // 5, 1)),
        "--run-time",
        f"{DURATION}s",
        "--host",
        URL,
        "--csv",
        str(WORK / "stats"),
        "--only-summary",
        "--stop-timeout",
        "10",
        "--exit-code-on-error",
        "0",
    ]
    subprocess.run(command, env=env, check=True, timeout=DURATION + 120)
    return read_stats()


def read_stats() -> dict:
    endpoints, total = {}, {}
    with open(WORK / "stats_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            figures = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]),
                "p99_ms": float(row["99%"]),
            }
            if row["Name"] == "Aggregated":
                total = {**figures, "requests_per_s": float(row["Requests/s"])}
            else:
                endpoints[row["Name"]] = figures
    counts = json.loads((WORK / "conflicts.json").read_text())
    return {"endpoints": endpoints, "total": total, **counts}


def mail_ids() -> Iterator[int]:
    """The notification id of every message the local mail relay kept."""
    for folder in ("new", "cur"):
        for path in (MAILDIR / folder).glob("*") if (MAILDIR / folder).is_dir() else ():
            message = email.message_from_bytes(path.read_bytes())
            if message["X-Greenlight-Notification"]:
                yield int(message["X-Greenlight-Notification"])


def settle() -> float:
    """Wait until the broker's queue is empty, every outbox row is relayed and no e-mail is
    pending; return the seconds."""
    import redis
    from django.conf import settings

    from apps.notifications.models import EmailStatus, Notification
    from workflows.outbox import outbox_unrelayed_count

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    started = time.monotonic()
    quiet_since = None
    while time.monotonic() - started < SETTLE_SECONDS:
        busy = (
            broker.llen("celery")
            + broker.hlen("unacked")
            + outbox_unrelayed_count()
            + Notification.objects.filter(email_status=EmailStatus.PENDING).count()
        )
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 5:
            break
        time.sleep(1)
    return round(time.monotonic() - started, 1)


def pauses(text: str) -> list[float]:
    """LOAD_WAIT as [min, max] seconds, or a clear refusal."""
    try:
        low, high = (float(part) for part in text.split("-"))
    except ValueError:
        sys.exit(f"LOAD_WAIT must be MIN-MAX seconds, like 2-6, not {text!r}.")
    if not 0 <= low <= high <= 60:
        sys.exit(f"LOAD_WAIT must be 0 <= MIN <= MAX <= 60 seconds, not {text!r}.")
    return [low, high]


def main() -> None:
    loopback_only(URL)
    wait_s = pauses(WAIT)
    setup_django()
    from load.check import after_checks

    subprocess.run([sys.executable, "manage.py", "seed_demo"], cwd=ROOT, check=True, timeout=300)
    workers_before = (len(gunicorn_workers()), len(celery_pool()))
    if not all(workers_before):
        sys.exit("`make serve` is not running here: start it first (another terminal).")
    faults: list[dict] = []
    killer = threading.Thread(target=inject_faults, args=(time.monotonic(), faults), daemon=True)
    killer.start()
    stats = run_locust(accounts())
    killer.join(timeout=5)
    settled_s = settle()
    checks = after_checks(mail_ids())
    total = stats["total"]
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "url": URL,
        "users": USERS,
        "seconds": DURATION,
        "wait_s": wait_s,
        "requests": total["requests"],
        "requests_per_s": round(total["requests_per_s"], 1),
        "errors": total["failures"],
        "conflicts_409": stats["conflicts"],
        "connection_resets_retried": stats["resets"],
        "lost": checks["lost"],
        "duplicated": checks["duplicated"],
        "chain_verified": checks["chain"]["verified"],
        "endpoints": stats["endpoints"],
        "p95_goal_ms": P95_GOAL_MS,
        "p95_goal_met": all(e["p95_ms"] < P95_GOAL_MS for e in stats["endpoints"].values()),
        "faults": faults,
        "workers_after": {"gunicorn": len(gunicorn_workers()), "celery": len(celery_pool())},
        "workers_before": {"gunicorn": workers_before[0], "celery": workers_before[1]},
        "settled_s": settled_s,
        "checks": checks,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k not in ("endpoints", "checks")}))
    for name, figures in sorted(stats["endpoints"].items()):
        print(
            f"  {name:22} p50 {figures['p50_ms']:6.0f} ms  p95 {figures['p95_ms']:6.0f} ms"
            f"  p99 {figures['p99_ms']:6.0f} ms  ({figures['requests']} requests)"
        )
    print(f"p95 under {P95_GOAL_MS} ms for every endpoint: {result['p95_goal_met']}")
    failed = result["errors"] or result["lost"] or result["duplicated"]
    ok = not failed and result["chain_verified"]
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
