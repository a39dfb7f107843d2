"""Writes of notifications and failed jobs; every one of them safe to repeat."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string

from apps.core import compiled, timeutils
from apps.core.errors import NotFound
from apps.core.ids import object_id

from .models import EmailStatus, FailedJob, Notification, Redelivery
from .selectors import emails_pending


# No savepoint of its own when nested (the outbox relay's transaction): nothing it runs
# can fail and be caught, so an error leaves the caller's block, whose rollback cleans up.
@transaction.atomic(savepoint=False)
def notifications_create(
    *, key: str, users: Iterable[Any], kind: str, message: str, url: str = "", detail: str = ""
) -> list[int]:
    """Tell each user once per ``key``; return the ids whose email is still to be sent.

    A repeat with the same key (a redelivered task) adds nothing but still
    returns the unsent emails, so a task that died between its commit and
    queueing the emails gets them out on its second run.
    """
    moment = timeutils.now()
    Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                key=key,
                kind=kind,
                message=message[:300],
                detail=detail,
                url=url,
                created_at=moment,
                email_status=EmailStatus.PENDING if user.email else EmailStatus.NONE,
            )
            for user in users
        ],
        ignore_conflicts=True,
    )
    return emails_pending(key=key)


def email_deliver(*, notification_id: int) -> bool:
    """Send the notification's email unless it went already; True if this call sent it.

    The claim (a conditional UPDATE) and the send share one transaction: an
    error or a killed worker rolls the claim back, and the redelivered task
    sends the email. A duplicate task waits on the claimed row and then finds
    nothing to claim. What remains is the window between the mail server
    accepting the message and the commit: email is at-least-once, by choice.
    """
    with transaction.atomic():
        notification = _claim(notification_id)
        if notification is None:
            return False
        _email(notification).send()
    return True


def _claim(notification_id: int) -> Notification | None:
    """Mark the notification's e-mail sent if it was pending; the notification and its user.

    PostgreSQL: one ``UPDATE ... FROM ... RETURNING`` claims and reads; elsewhere the
    conditional UPDATE, then the read (compiled once, ``apps.core.compiled``).
    """
    moment = timeutils.now()
    if connection.vendor == "postgresql":
        return _claim_returning(notification_id, moment)
    claimed = Notification.objects.filter(
        pk=notification_id, email_status=EmailStatus.PENDING
    ).update(email_status=EmailStatus.SENT, emailed_at=moment)
    if not claimed:
        return None
    (notification,) = compiled.objects("notification_to_email", _with_user, notification_id)
    return notification


def _claim_returning(notification_id: int, moment: Any) -> Notification | None:
    ops = connection.ops
    user_model = Notification._meta.get_field("user").related_model
    own = [f for f in Notification._meta.concrete_fields]
    theirs = [f for f in user_model._meta.concrete_fields]
    table, users = (ops.quote_name(m._meta.db_table) for m in (Notification, user_model))
    status, emailed = (Notification._meta.get_field(n) for n in ("email_status", "emailed_at"))
    pk, user_id = Notification._meta.pk, Notification._meta.get_field("user")
    returning = [f"n.{ops.quote_name(f.column)}" for f in own]
    returning += [f"u.{ops.quote_name(f.column)}" for f in theirs]
    sql = (
        f"UPDATE {table} AS n SET {ops.quote_name(status.column)} = %s, "  # noqa: S608
        f"{ops.quote_name(emailed.column)} = %s FROM {users} AS u "
        f"WHERE u.{ops.quote_name(user_model._meta.pk.column)} = n.{ops.quote_name(user_id.column)}"
        f" AND n.{ops.quote_name(pk.column)} = %s AND n.{ops.quote_name(status.column)} = %s "
        f"RETURNING {', '.join(returning)}"
    )
    params = [
        EmailStatus.SENT,
        emailed.get_db_prep_save(moment, connection),
        notification_id,
        EmailStatus.PENDING,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = [_from_db(f, value) for f, value in zip([*own, *theirs], row, strict=True)]
    notification = Notification.from_db(
        connection.alias, [f.attname for f in own], values[: len(own)]
    )
    notification.user = user_model.from_db(
        connection.alias, [f.attname for f in theirs], values[len(own) :]
    )
    return notification


def _from_db(field: Any, value: Any) -> Any:
    """A column's value as the ORM would load it (its backend's and its field's converters)."""
    for converter in connection.ops.get_db_converters(field.cached_col) + field.get_db_converters(
        connection
    ):
        value = converter(value, field.cached_col, connection)
    return value


def _with_user(notification_id: int) -> Any:
    return Notification.objects.select_related("user").filter(pk=notification_id)[:1]


def _email(notification: Notification) -> EmailMessage:
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    context = {
        "notification": notification,
        "user": notification.user,
        "link": f"{base}{notification.url}" if notification.url else "",
    }
    body = render_to_string([f"email/{notification.kind}.txt", "email/notification.txt"], context)
    subject = " ".join(f"Greenlight: {notification.message}".split())[:150]
    # The header names the notification, so a mail log can show each one went once.
    headers = {"X-Greenlight-Notification": str(notification.pk)}
    return EmailMessage(subject=subject, body=body, to=[notification.user.email], headers=headers)


def notification_mark_read(*, user: Any, notification_id: Any) -> Notification:
    """Mark one of the user's own notifications read; anyone else's is not found."""
    try:
        notification = Notification.objects.get(pk=object_id(notification_id), user_id=user.pk)
    except Notification.DoesNotExist:
        raise NotFound() from None
    if notification.read_at is None:
        notification.read_at = timeutils.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_settle(*, urls: Iterable[str] = (), keys: Iterable[str] = ()) -> int:
    """Mark read, for everyone told, the unread notifications that point at ``urls`` or were
    sent under ``keys``: what they asked for is done, so they no longer wait for anyone."""
    urls, keys = list(urls), list(keys)
    if not urls and not keys:
        return 0
    return (
        Notification.objects.filter(read_at__isnull=True)
        .filter(Q(url__in=urls) | Q(key__in=keys))
        .update(read_at=timeutils.now())
    )


def notifications_mark_all_read(*, user: Any) -> int:
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).update(
        read_at=timeutils.now()
    )


def failed_job_record(
    *,
    task_name: str,
    task_id: str,
    args: Any,
    kwargs: Any,
    reason: str,
    traceback: str = "",
) -> FailedJob:
    """Keep a task that gave up visible in the admin; a repeat counts on the open row."""
    moment = timeutils.now()
    args, kwargs = _plain(list(args or [])), _plain(dict(kwargs or {}))
    signature = hashlib.sha256(
        json.dumps([task_name, args, kwargs], sort_keys=True).encode()
    ).hexdigest()
    with transaction.atomic():
        job = (
            FailedJob.objects.select_for_update()
            .filter(signature=signature, resolved_at__isnull=True)
            .first()
        )
        if job is None:
            return FailedJob.objects.create(
                task_name=task_name,
                task_id=task_id,
                signature=signature,
                args=args,
                kwargs=kwargs,
                reason=reason[:500],
                traceback=traceback,
                first_failed_at=moment,
                last_failed_at=moment,
            )
        job.task_id, job.reason, job.traceback = task_id, reason[:500], traceback
        job.occurrences += 1
        job.last_failed_at = moment
        job.save()
        return job


def _plain(value: Any) -> Any:
    """Arguments as JSON can hold them (task arguments are ids and keys; anything else as text)."""
    return json.loads(json.dumps(value, default=repr))


def redelivery_count(*, task_id: str, task_name: str) -> int:
    """Count one more delivery of the message ``task_id``; return the count so far."""
    with transaction.atomic():
        row, _ = Redelivery.objects.get_or_create(
            task_id=task_id, defaults={"task_name": task_name, "updated_at": timeutils.now()}
        )
        Redelivery.objects.filter(pk=row.pk).update(
            count=F("count") + 1, updated_at=timeutils.now()
        )
        return Redelivery.objects.values_list("count", flat=True).get(pk=row.pk)
