"""Make the database refuse UPDATE and DELETE on the trail (see ``apps.audit.guard``)."""

from django.db import migrations

from apps.audit import guard


def install(apps, schema_editor):
    guard.install(schema_editor.connection)


def remove(apps, schema_editor):
    guard.remove(schema_editor.connection, functions=True)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_chain"),
    ]

    operations = [
        migrations.RunPython(install, remove),
    ]
