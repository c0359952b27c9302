"""Claims write fewer index entries: drop the plain indexes of foreign keys that another index
leads with (outbox source and task, the event's task), and index the mostly-NULL ones (case,
resolved_by, actor_source, case_event) only where they are set (issue 12)."""

import django.db.models.deletion
from django.db import migrations, models


def _plain_fk_indexes(apps, schema_editor, fields, *, create):
    """Drop (or, backwards, create) the plain index Django made for each ``(model, field)``
    foreign key, by the name Django gives it. Only the index: dropping it through AlterField
    would also drop and re-add the foreign key constraint, re-checking every row under a lock."""
    for model_name, field_name in fields:
        model = apps.get_model(model_name)
        table, column = model._meta.db_table, model._meta.get_field(field_name).column
        name = schema_editor._create_index_name(table, [column])
        quote = schema_editor.quote_name
        if create:
            schema_editor.execute(f"CREATE INDEX {quote(name)} ON {quote(table)} ({quote(column)})")
        else:
            schema_editor.execute(f"DROP INDEX IF EXISTS {quote(name)}")


# Foreign keys whose plain index goes: another index leads with the column, or a partial one
# (rows that have a value) replaces it.
FIELDS = [
    ('notifications.eventoutbox', 'case_event'),
]


def drop_plain_fk_indexes(apps, schema_editor):
    _plain_fk_indexes(apps, schema_editor, FIELDS, create=False)


def create_plain_fk_indexes(apps, schema_editor):
    _plain_fk_indexes(apps, schema_editor, FIELDS, create=True)


class Migration(migrations.Migration):

    dependencies = [
        ('inbox', '0013_lean_hot_path_indexes'),
        ('notifications', '0003_escalated_kind'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='eventoutbox',
                    name='case_event',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='inbox.caseevent'),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_plain_fk_indexes, create_plain_fk_indexes),
            ],
        ),
        migrations.AddIndex(
            model_name='eventoutbox',
            index=models.Index(condition=models.Q(('case_event__isnull', False)), fields=['case_event'], name='eventoutbox_case_event_idx'),
        ),
    ]
