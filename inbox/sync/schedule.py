"""One django-celery-beat entry per engine source, kept in line with the Source row.

Beat (one process in the whole deployment) reads these rows; they are editable in the Django
admin like any other schedule. Called on every save and delete of a Source.
"""

from __future__ import annotations

import json

from django_celery_beat.models import IntervalSchedule, PeriodicTask

from inbox.models import Source

POLL_TASK = "inbox.tasks.poll_source"


def schedule_name(source_id: int) -> str:
    return f"poll source #{source_id}"


def sync_source_schedule(source: Source) -> None:
    if source.is_local:
        return
    interval, _ = IntervalSchedule.objects.get_or_create(
        every=max(int(source.poll_interval), 1), period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.update_or_create(
        name=schedule_name(source.pk),
        defaults={
            "task": POLL_TASK,
            "interval": interval,
            "args": json.dumps([source.pk]),
            "enabled": source.enabled,
            "description": f"Poll {source.get_kind_display()} source {source.name}",
        },
    )


def remove_source_schedule(source_id: int) -> None:
    PeriodicTask.objects.filter(name=schedule_name(source_id)).delete()
