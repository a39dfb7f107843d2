"""The database's own refusal to change the trail: triggers on the event and chain head tables.

On PostgreSQL a plpgsql trigger refuses UPDATE, DELETE and TRUNCATE on
``audit_event``; on SQLite ``RAISE(ABORT)`` triggers refuse UPDATE and DELETE.
The chain head may only move forward (a higher ``seq``) and never be deleted,
so removing events from the end of a chain cannot be hidden by rewinding it.

The triggers stop the application and casual SQL. A database owner can still
drop them, which is why the hash chain exists: ``verify_audit`` detects what
was changed, and reports a missing trigger as well. On SQLite, a later
migration that makes Django rebuild the event table drops its triggers with
the old table: such a migration must call ``install`` again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

EVENT_TABLE = "audit_event"
HEAD_TABLE = "audit_chainhead"
REFUSED = "integrity_constraint_violation"

SQLITE_TRIGGERS = {
    "audit_event_no_update": f"""
        CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON {EVENT_TABLE}
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: UPDATE refused'); END""",
    "audit_event_no_delete": f"""
        CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON {EVENT_TABLE}
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: DELETE refused'); END""",
    "audit_chainhead_forward_only": f"""
        CREATE TRIGGER IF NOT EXISTS audit_chainhead_forward_only BEFORE UPDATE ON {HEAD_TABLE}
        WHEN NEW.seq <= OLD.seq OR NEW.company_id != OLD.company_id
        BEGIN SELECT RAISE(ABORT, 'an audit chain head only moves forward'); END""",
    "audit_chainhead_no_delete": f"""
        CREATE TRIGGER IF NOT EXISTS audit_chainhead_no_delete BEFORE DELETE ON {HEAD_TABLE}
        BEGIN SELECT RAISE(ABORT, 'an audit chain head is never deleted'); END""",
}

POSTGRES_FUNCTIONS = {
    "audit_refuse_change": f"""
        CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the audit trail is append-only: % on % refused',
                TG_OP, TG_TABLE_NAME USING ERRCODE = '{REFUSED}';
        END;
        $$""",
    "audit_chainhead_forward_only": f"""
        CREATE OR REPLACE FUNCTION audit_chainhead_forward_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND NEW.company_id = OLD.company_id AND NEW.seq > OLD.seq THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'an audit chain head only moves forward: % refused',
                TG_OP USING ERRCODE = '{REFUSED}';
        END;
        $$""",
}

# trigger name -> (table, timing and events, level, function)
POSTGRES_TRIGGERS = {
    "audit_event_append_only": (EVENT_TABLE, "UPDATE OR DELETE", "ROW", "audit_refuse_change"),
    "audit_event_no_truncate": (EVENT_TABLE, "TRUNCATE", "STATEMENT", "audit_refuse_change"),
    "audit_chainhead_forward_only": (
        HEAD_TABLE,
        "UPDATE OR DELETE",
        "ROW",
        "audit_chainhead_forward_only",
    ),
    "audit_chainhead_no_truncate": (HEAD_TABLE, "TRUNCATE", "STATEMENT", "audit_refuse_change"),
}


def trigger_names(connection) -> list[str]:
    if connection.vendor == "postgresql":
        return list(POSTGRES_TRIGGERS)
    if connection.vendor == "sqlite":
        return list(SQLITE_TRIGGERS)
    return []


def install(connection) -> None:
    """Create (or re-create) the triggers; safe to run twice."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for sql in SQLITE_TRIGGERS.values():
                cursor.execute(sql)
        elif connection.vendor == "postgresql":
            for sql in POSTGRES_FUNCTIONS.values():
                cursor.execute(sql)
            for name, (table, events, level, function) in POSTGRES_TRIGGERS.items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(
                    f"CREATE TRIGGER {name} BEFORE {events} ON {table} "
                    f"FOR EACH {level} EXECUTE FUNCTION {function}()"
                )


def remove(connection, *, functions: bool = False) -> None:
    """Drop the triggers (and, when unmigrating, the PostgreSQL functions)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif connection.vendor == "postgresql":
            for name, (table, *_rest) in POSTGRES_TRIGGERS.items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            if functions:
                for name in POSTGRES_FUNCTIONS:
                    cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")


def missing(connection) -> list[str]:
    """Triggers that should guard the trail but are absent or disabled."""
    expected = trigger_names(connection)
    if not expected:
        return [f"no append-only guard exists for {connection.vendor}"]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' "
                "AND tgrelid IN (%s::regclass, %s::regclass)",
                [EVENT_TABLE, HEAD_TABLE],
            )
        present = {row[0] for row in cursor.fetchall()}
    return [name for name in expected if name not in present]


@contextmanager
def lifted(connection) -> Iterator[None]:
    """Drop the triggers for the duration of the block, in one transaction.

    Only for ``flush`` (which empties every table) and for tests that plant
    tampering; both run with the rights of the database owner anyway.
    """
    with transaction.atomic(using=connection.alias):
        remove(connection)
        yield
        install(connection)
