"""Copy each task's SLA follow-up date onto the task (``inbox.UserTask.follow_up_at``, added by
inbox 0012), which sla.policies keeps from now on: lists sort by it on an index."""

from django.db import migrations


def copy_follow_up(apps, schema_editor):
    TaskSla = apps.get_model("sla", "TaskSla")
    UserTask = apps.get_model("inbox", "UserTask")
    rows = TaskSla.objects.filter(follow_up_at__isnull=False).values_list("task_id", "follow_up_at")
    batch = []
    for task_id, follow_up in rows.iterator(chunk_size=2000):
        batch.append(UserTask(pk=task_id, follow_up_at=follow_up))
        if len(batch) == 2000:
            UserTask.objects.bulk_update(batch, ["follow_up_at"])
            batch = []
    if batch:
        UserTask.objects.bulk_update(batch, ["follow_up_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0001_sla_policies"),
        ("inbox", "0012_task_follow_up"),
    ]

    operations = [migrations.RunPython(copy_follow_up, migrations.RunPython.noop)]
