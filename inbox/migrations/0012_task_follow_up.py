"""The SLA's follow-up date on the task (kept by sla.policies; sla 0002 copies existing ones),
and the indexes of the due and follow-up orders.

On PostgreSQL the staff branches of a list order by COALESCE(date, 9999-12-31 23:59:59 UTC),
the same order as NULLs last, so that resuming after a bookmark is one index bound
(inbox.queries.paging.branch_order): expression indexes replace the plain (assignee, status,
due_at, id) and (group, status, due_at, id) ones, and the follow-up date gets the same two.
"""

from django.db import migrations, models

EXPRESSION_INDEXES = [
    ("task_assignee_due_inf_idx", "assignee_id", "due_at"),
    ("task_group_due_inf_idx", "group_id", "due_at"),
    ("task_assignee_follow_inf_idx", "assignee_id", "follow_up_at"),
    ("task_group_follow_inf_idx", "group_id", "follow_up_at"),
]


def create_expression_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, owner, column in EXPRESSION_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON inbox_usertask "
            f"({owner}, status, COALESCE({column}, '9999-12-31 23:59:59+00'::timestamptz), id)"
        )


def drop_expression_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in EXPRESSION_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0011_task_external_id_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="usertask",
            name="follow_up_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="usertask",
            index=models.Index(
                fields=["status", "follow_up_at", "id"], name="task_status_follow_idx"
            ),
        ),
        migrations.RemoveIndex(model_name="usertask", name="task_assignee_due_idx"),
        migrations.RemoveIndex(model_name="usertask", name="task_group_due_idx"),
        migrations.RunPython(create_expression_indexes, drop_expression_indexes),
    ]
