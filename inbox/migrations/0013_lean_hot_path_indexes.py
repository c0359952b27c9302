"""Claims write fewer index entries: drop the plain indexes of foreign keys that another index
leads with (outbox source and task, the event's task), and index the mostly-NULL ones (case,
resolved_by, actor_source, case_event) only where they are set (issue 12)."""

import django.db.models.deletion
from django.conf import settings
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
    ('inbox.caseevent', 'actor_source'),
    ('inbox.outboxcommand', 'case'),
    ('inbox.outboxcommand', 'resolved_by'),
    ('inbox.outboxcommand', 'source'),
    ('inbox.outboxcommand', 'task'),
    ('inbox.taskevent', 'actor_source'),
    ('inbox.taskevent', 'task'),
]


def drop_plain_fk_indexes(apps, schema_editor):
    _plain_fk_indexes(apps, schema_editor, FIELDS, create=False)


def create_plain_fk_indexes(apps, schema_editor):
    _plain_fk_indexes(apps, schema_editor, FIELDS, create=True)


class Migration(migrations.Migration):

    dependencies = [
        ('inbox', '0012_task_follow_up'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='caseevent',
                    name='actor_source',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='inbox.source'),
                ),
                migrations.AlterField(
                    model_name='outboxcommand',
                    name='case',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='outbox', to='inbox.case'),
                ),
                migrations.AlterField(
                    model_name='outboxcommand',
                    name='resolved_by',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='outboxcommand',
                    name='source',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='outbox', to='inbox.source'),
                ),
                migrations.AlterField(
                    model_name='outboxcommand',
                    name='task',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='outbox', to='inbox.usertask'),
                ),
                migrations.AlterField(
                    model_name='taskevent',
                    name='actor_source',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='inbox.source'),
                ),
                migrations.AlterField(
                    model_name='taskevent',
                    name='task',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='inbox.usertask'),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_plain_fk_indexes, create_plain_fk_indexes),
            ],
        ),
        migrations.AddIndex(
            model_name='caseevent',
            index=models.Index(condition=models.Q(('actor_source__isnull', False)), fields=['actor_source'], name='caseevent_actor_source_idx'),
        ),
        migrations.AddIndex(
            model_name='outboxcommand',
            index=models.Index(condition=models.Q(('case__isnull', False)), fields=['case'], name='outbox_case_idx'),
        ),
        migrations.AddIndex(
            model_name='outboxcommand',
            index=models.Index(condition=models.Q(('resolved_by__isnull', False)), fields=['resolved_by'], name='outbox_resolved_by_idx'),
        ),
        migrations.AddIndex(
            model_name='taskevent',
            index=models.Index(condition=models.Q(('actor_source__isnull', False)), fields=['actor_source'], name='event_actor_source_idx'),
        ),
    ]
