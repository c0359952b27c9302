"""Rollups the dashboard reads instead of the task table.

``DailyTaskStats``: one row per day and scope. Scope ``full`` rows carry every dimension
(group, task type, source); ``group``/``type``/``source`` rows carry one; the ``all`` row none.
A page view picks the narrowest scope its filters allow, so a 90-day chart reads 90 rows.
Written only by ``ops.rollup.rollup_day`` (delete-then-insert of one day, in one transaction).

``OpenTaskSnapshot``: open tasks per (group, task type, source) with unclaimed, overdue and
age-bucket counts, in the same scopes, replaced whole by ``ops.rollup.refresh_open_snapshot``.
Every row is also split by the tasks' status (UNASSIGNED or ASSIGNED) and by whether they are
overdue, so the status and "overdue" filters are a WHERE on these two columns in any scope.
"""

from django.contrib.auth.models import Group
from django.db import models

from inbox.models import Source


class DailyTaskStats(models.Model):
    class Scope(models.TextChoices):
        ALL = "all"
        GROUP = "group"
        TYPE = "type"
        SOURCE = "source"
        FULL = "full"

    day = models.DateField()
    scope = models.CharField(max_length=10, choices=Scope.choices)
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    task_type = models.CharField(max_length=255, blank=True)
    source = models.ForeignKey(
        Source, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0, help_text="Tasks that ended DONE this day.")
    cancelled = models.PositiveIntegerField(default=0)
    breached = models.PositiveIntegerField(
        default=0, help_text="Tasks completed this day after their due date."
    )
    claim_sketch = models.JSONField(
        default=dict,
        help_text="Time to claim of the tasks completed this day (ops.quantiles sketch).",
    )
    complete_sketch = models.JSONField(
        default=dict,
        help_text="Time to complete of the tasks completed this day (ops.quantiles sketch).",
    )
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [
            # Covering: the unfiltered charts and the breaches by group read the index alone.
            models.Index(
                fields=["scope", "day"],
                include=["group", "created", "completed", "cancelled", "breached"],
                name="ops_daily_scope_day_idx",
            ),
            models.Index(fields=["group", "scope", "day"], name="ops_daily_group_idx"),
            models.Index(fields=["task_type", "scope", "day"], name="ops_daily_type_idx"),
            models.Index(fields=["source", "scope", "day"], name="ops_daily_source_idx"),
        ]

    def __str__(self):
        return f"{self.day} {self.scope}"


class OpenTaskSnapshot(models.Model):
    scope = models.CharField(max_length=10, choices=DailyTaskStats.Scope.choices)
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    task_type = models.CharField(max_length=255, blank=True)
    source = models.ForeignKey(
        Source, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, help_text="UNASSIGNED or ASSIGNED.")
    is_overdue = models.BooleanField(default=False, help_text="Due before the refresh.")
    open = models.PositiveIntegerField(default=0)
    unclaimed = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    # Open tasks per age bucket (ops.buckets.AGES): under 1 day, 1-3, 3-7, 7-30, over 30 days.
    age0 = models.PositiveIntegerField(default=0)
    age1 = models.PositiveIntegerField(default=0)
    age2 = models.PositiveIntegerField(default=0)
    age3 = models.PositiveIntegerField(default=0)
    age4 = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["scope"], name="ops_snapshot_scope_idx"),
            # A type filter reads the type (or full) scope's rows of that type only.
            models.Index(fields=["task_type", "scope"], name="ops_snapshot_type_idx"),
        ]

    def __str__(self):
        return f"{self.group_id}/{self.task_type}/{self.source_id}: {self.open}"
