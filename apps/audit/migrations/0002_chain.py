"""Chain the events of each company: sequence numbers, hashes and a locked chain head.

Events written before this migration are linked in the order they were
written (by id), so the chain covers the whole history.
"""

from django.db import migrations, models

from apps.audit.chain import GENESIS, digest


def link_existing_events(apps, schema_editor):
    Event = apps.get_model("audit", "Event")
    ChainHead = apps.get_model("audit", "ChainHead")
    db = schema_editor.connection.alias
    events = Event.objects.using(db)
    company_ids = list(events.values_list("company_id", flat=True).distinct().order_by())
    for company_id in company_ids:
        seq, prev_hash, last_id = 0, GENESIS, 0
        while batch := list(
            events.filter(company_id=company_id, id__gt=last_id).order_by("id")[:2000]
        ):
            for event in batch:
                seq += 1
                event.seq, event.prev_hash = seq, prev_hash
                event.hash = prev_hash = digest(event)
                events.filter(pk=event.pk).update(
                    seq=event.seq, prev_hash=event.prev_hash, hash=event.hash
                )
            last_id = batch[-1].pk
        ChainHead.objects.using(db).create(company_id=company_id, seq=seq, hash=prev_hash)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChainHead",
            fields=[
                ("company_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("seq", models.PositiveBigIntegerField(default=0)),
                ("hash", models.CharField(default=GENESIS, max_length=64)),
                ("updated_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.AddField(
            model_name="event",
            name="seq",
            field=models.PositiveBigIntegerField(
                default=0, editable=False, help_text="Position in the company's chain."
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="event",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="event",
            name="hash",
            field=models.CharField(db_index=True, default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(link_existing_events, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.UniqueConstraint(
                fields=("company_id", "seq"), name="audit_event_seq_unique"
            ),
        ),
    ]
