"""GIN index on task context (PostgreSQL only; SQLite has no GIN) and the built-in local source."""

from django.db import migrations

GIN_SQL = (
    "CREATE INDEX IF NOT EXISTS task_context_gin_idx ON inbox_usertask USING gin (context jsonb_path_ops)"
)


def create_gin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GIN_SQL)


def drop_gin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS task_context_gin_idx")


def create_local_source(apps, schema_editor):
    Source = apps.get_model("inbox", "Source")
    Source.objects.get_or_create(name="local", defaults={"kind": "local", "poll_interval": 0})


class Migration(migrations.Migration):
    dependencies = [("inbox", "0001_initial")]

    operations = [
        migrations.RunPython(create_gin, drop_gin),
        migrations.RunPython(create_local_source, migrations.RunPython.noop),
    ]
