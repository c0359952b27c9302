"""A claim writes an entry in every index of the task table: drop the plain indexes of its
foreign keys case, assignee and group, each the leading column of another index that serves its
lookups and ON DELETE checks (issue 12)."""

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


# Each is the leading column of another index of the task table.
FIELDS = [
    ('inbox.usertask', 'assignee'),
    ('inbox.usertask', 'case'),
    ('inbox.usertask', 'group'),
]


def drop_plain_fk_indexes(apps, schema_editor):
    _plain_fk_indexes(apps, schema_editor, FIELDS, create=False)


def create_plain_fk_indexes(apps, schema_editor):
    _plain_fk_indexes(apps, schema_editor, FIELDS, create=True)


class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('inbox', '0013_lean_hot_path_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='usertask',
                    name='assignee',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='assigned_tasks', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='usertask',
                    name='case',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='tasks', to='inbox.case'),
                ),
                migrations.AlterField(
                    model_name='usertask',
                    name='group',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='tasks', to='auth.group'),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_plain_fk_indexes, create_plain_fk_indexes),
            ],
        ),
    ]
