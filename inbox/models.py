"""The inbox's domain: sources, cases and their stages, user tasks, their history and comments,
and the outbox of write-backs to the engines.

Only ``inbox/lifecycle.py`` changes a task's status, assignee or group; only the sync importer
writes cases and stages.
"""

import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone

LOCAL_SOURCE_NAME = "local"
# Engines' ids (and run ids) are stored whole, never truncated: a longer one is quarantined.
EXTERNAL_ID_MAX_LENGTH = 1024


class Source(models.Model):
    """One upstream connection, or the built-in ``local`` source of API-created tasks."""

    class Kind(models.TextChoices):
        LOCAL = "local", "Local (inbox API)"
        UIPATH = "uipath", "UiPath Maestro"
        DOCUSIGN = "docusign", "DocuSign Maestro"
        CLOUDFLARE = "cloudflare", "Cloudflare Workflows"
        STRATEGY = "strategy", "Execution-strategy engine"
        LITTLEHORSE = "littlehorse", "LittleHorse"

    name = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    base_url = models.URLField(blank=True)
    credentials = models.JSONField(
        default=dict, blank=True, help_text="Tokens and secrets; never rendered back in full."
    )
    watch = models.JSONField(
        default=dict,
        blank=True,
        help_text="What to watch: process keys, workflow ids or names, instance SIDs, task types.",
    )
    mapping = models.JSONField(
        default=dict, blank=True, help_text="How upstream users and groups map to local ones."
    )
    poll_interval = models.PositiveIntegerField(default=30, help_text="Seconds between polls.")
    enabled = models.BooleanField(default=True)
    cursor = models.JSONField(default=dict, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="Held while a worker polls this source."
    )
    lease_token = models.UUIDField(
        null=True, blank=True, editable=False, help_text="Which poll holds the lease."
    )
    poll_max_seconds = models.PositiveIntegerField(
        default=300, help_text="Wall-clock budget of one poll, in seconds."
    )
    poll_max_pages = models.PositiveIntegerField(
        default=1000, help_text="Most pages one poll reads; the next poll resumes after them."
    )
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Deleted by an admin while it still had history: kept (disabled, renamed) so "
        "its tasks, cases and events stay readable; hidden from the Sources lists.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_local(self) -> bool:
        return self.kind == self.Kind.LOCAL


class Case(models.Model):
    """One upstream process / case / workflow instance."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        PAUSED = "paused"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="cases")
    external_id = models.CharField(max_length=EXTERNAL_ID_MAX_LENGTH)
    name = models.CharField(max_length=500, blank=True)
    process_key = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    upstream_status = models.CharField(max_length=100, blank=True)
    started_by = models.CharField(max_length=255, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    progress_done = models.PositiveIntegerField(null=True, blank=True)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    history = models.JSONField(default=list, blank=True, help_text="Execution history as synced.")
    payload = models.JSONField(default=dict, blank=True)
    upstream_hash = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="case_source_external_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["status", "started_at"], name="case_status_started_idx"),
            # The Cases list: newest start first (inbox.case_pages).
            models.Index(
                Coalesce("started_at", "created_at").desc(),
                models.F("id").desc(),
                name="case_started_idx",
            ),
        ]

    def __str__(self):
        return self.name or self.external_id


class Stage(models.Model):
    """A stage of a case (UiPath stages, Cloudflare steps), in order."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="stages")
    external_id = models.CharField(max_length=EXTERNAL_ID_MAX_LENGTH)
    name = models.CharField(max_length=500)
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=100, blank=True)
    sla = models.JSONField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    tasks = models.JSONField(default=list, blank=True, help_text="The stage's tasks as listed.")

    class Meta:
        ordering = ["case", "position"]
        constraints = [
            models.UniqueConstraint(fields=["case", "external_id"], name="stage_case_external_uniq")
        ]

    def __str__(self):
        return self.name


class TaskStatus(models.TextChoices):
    UNASSIGNED = "UNASSIGNED"
    ASSIGNED = "ASSIGNED"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


TERMINAL_STATUSES = frozenset({TaskStatus.DONE, TaskStatus.CANCELLED})
OPEN_STATUSES = (TaskStatus.UNASSIGNED, TaskStatus.ASSIGNED)


class UserTask(models.Model):
    """A human step waiting for (or done by) a person.

    ``fields`` is the form: ``[{name, display_name, description, type, required}]``;
    ``results`` is ``{name: {type, value}}``; ``version`` is bumped on every change.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    wf_run_id = models.CharField(max_length=EXTERNAL_ID_MAX_LENGTH)
    # A claim changes status and assignee, so every index of this table gets an entry on every
    # claim (no HOT update): case, assignee and group have no plain index of their own. Each
    # is the leading column of one below, which serves its lookups and ON DELETE checks: case
    # of task_case_idx, assignee of task_assignee_status_idx, group of task_group_status_idx.
    # Source keeps its own: the walk of a source's open tasks (sync.importer) reads it, and
    # task_source_external_uniq, wide with external_id, is costed as a sequential scan instead.
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="tasks")
    external_id = models.CharField(max_length=EXTERNAL_ID_MAX_LENGTH)
    case = models.ForeignKey(
        Case,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        db_index=False,
    )
    task_type = models.CharField(max_length=255)
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=20, choices=TaskStatus.choices, default=TaskStatus.UNASSIGNED
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tasks",
        db_index=False,
    )
    group = models.ForeignKey(
        Group, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks", db_index=False
    )
    upstream_assignee = models.CharField(
        max_length=255, blank=True, help_text="The engine's assignee when it maps to no local user."
    )
    priority = models.IntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)
    # True when ``due_at`` was given by an SLA policy (sla/), not by the engine: an engine
    # record that still has no due date then leaves it alone.
    due_from_policy = models.BooleanField(default=False, db_default=False)
    # The SLA's follow-up ("claim within") date, copied from ``sla.TaskSla.follow_up_at`` by the
    # sla app in the same transaction (sla.policies.apply_to_tasks), so lists sort by it on an
    # index (sort=follow_up). Null when no policy gives one.
    follow_up_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    fields = models.JSONField(default=list, blank=True)
    results = models.JSONField(default=dict, blank=True)
    context = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    upstream_hash = models.CharField(
        max_length=40, blank=True, help_text="Fingerprint of the engine's record when last synced."
    )
    # Denormalised from the task's write-backs (inbox.sync.delivery keeps it): "" when every
    # write-back reached the engine, else the most urgent state (conflict, failed, pending).
    delivery = models.CharField(
        max_length=10,
        blank=True,
        default="",
        help_text="Write-backs still on their way to the engine, or stuck.",
    )
    # Full-text search document (title A, description B, context values C, comments D), kept by
    # PostgreSQL triggers (migration 0009), so every writer, COPY included, keeps it current.
    # Its GIN index (task_search_gin) is made by that migration too. Always NULL on SQLite,
    # where search falls back to icontains.
    search = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        permissions = [("administer_tasks", "Can administer every task in the inbox")]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="task_source_external_uniq"
            )
        ]
        # Each visibility branch of inbox/queries.py walks one of these in (created_at, id) order.
        indexes = [
            models.Index(
                fields=["assignee", "status", "created_at", "id"], name="task_assignee_status_idx"
            ),
            models.Index(
                fields=["group", "status", "created_at", "id"], name="task_group_status_idx"
            ),
            # History (my done/cancelled tasks) is ordered by when each was finished.
            models.Index(
                fields=["assignee", "status", "completed_at", "id"], name="task_history_idx"
            ),
            models.Index(fields=["status", "created_at", "id"], name="task_status_created_idx"),
            models.Index(fields=["created_at", "id"], name="task_created_idx"),
            models.Index(fields=["task_type", "created_at", "id"], name="task_type_created_idx"),
            models.Index(fields=["case", "created_at"], name="task_case_idx"),
            # Due-date and follow-up order (sort=due / follow_up, NULLs last ascending) of an
            # admin's status branches. The staff branches walk expression indexes on
            # (assignee or group, status, COALESCE(date, 9999-12-31), id), made on PostgreSQL
            # by migration 0012 (see inbox.queries.paging.branch_order).
            models.Index(fields=["status", "due_at", "id"], name="task_status_due_idx"),
            models.Index(fields=["status", "follow_up_at", "id"], name="task_status_follow_idx"),
            # The search box's exact lookup by an engine's id (any source).
            models.Index(fields=["external_id"], name="task_external_id_idx"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def is_overdue(self) -> bool:
        return bool(self.due_at and not self.is_terminal and self.due_at < timezone.now())


class HistoryEvent(models.Model):
    """What every append-only history row has: who acted (a user, or an engine source for
    engine-driven changes), free-form data, and when."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Set only for engine-driven changes: each concrete model indexes it partially (rows that
    # have one), which is all the source's PROTECT lookup needs; a user's event adds no entry.
    actor_source = models.ForeignKey(
        Source, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    @property
    def actor_name(self) -> str:
        if self.actor_id:
            return self.actor.username
        if self.actor_source_id:
            return f"engine:{self.actor_source.name}"
        return "system"


class TaskEvent(HistoryEvent):
    """Append-only history of a task. Never updated, never deleted."""

    class Kind(models.TextChoices):
        CREATED = "CREATED"
        ASSIGNED = "ASSIGNED"
        COMPLETED = "COMPLETED"
        CANCELLED = "CANCELLED"
        COMMENT_ADDED = "COMMENT_ADDED"
        COMMENT_EDITED = "COMMENT_EDITED"
        COMMENT_DELETED = "COMMENT_DELETED"
        UPSTREAM_CHANGED = "UPSTREAM_CHANGED"
        ESCALATED = "ESCALATED"

    # Indexed by event_task_idx (task first), the one index the task's timeline walks.
    task = models.ForeignKey(
        UserTask, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["task", "created_at"], name="event_task_idx"),
            models.Index(
                fields=["actor_source"],
                name="event_actor_source_idx",
                condition=models.Q(actor_source__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.kind} on {self.task_id}"


class CaseEvent(HistoryEvent):
    """Append-only history of a case's normalised status: first seen, then each change.
    Written by the importer (``inbox.lifecycle.cases``) in the transaction that changes the
    case; never updated, never deleted. An engine replay (same status) writes nothing."""

    class Kind(models.TextChoices):
        SEEN = "CASE_SEEN"
        STATUS_CHANGED = "CASE_STATUS_CHANGED"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    old_status = models.CharField(max_length=20, blank=True)
    new_status = models.CharField(max_length=20)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["case", "created_at"], name="caseevent_case_idx"),
            models.Index(
                fields=["actor_source"],
                name="caseevent_actor_source_idx",
                condition=models.Q(actor_source__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.kind} on case {self.case_id}"


class Comment(models.Model):
    task = models.ForeignKey(UserTask, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["task", "created_at"], name="comment_task_idx")]

    def __str__(self):
        return f"Comment {self.pk} on {self.task_id}"


class OutboxCommand(models.Model):
    """A write-back to an engine, written in the same transaction as the local change."""

    class Action(models.TextChoices):
        CLAIM = "claim"
        RELEASE = "release"
        ASSIGN = "assign"
        COMPLETE = "complete"
        CANCEL = "cancel"
        CASE_PAUSE = "case_pause"
        CASE_RESUME = "case_resume"
        CASE_CLOSE = "case_close"

    class Status(models.TextChoices):
        PENDING = "pending", "On its way"
        RETRYING = "retrying", "Retrying"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        CONFLICT = "conflict", "Conflict"
        RESOLVED = "resolved", "Resolved"

    # Still to be pushed (the sweeper and the per-task order look at these).
    OPEN = (Status.PENDING, Status.RETRYING)
    # Did not reach the engine and need a person (the Outbox page's default filter).
    STUCK = (Status.FAILED, Status.CONFLICT)

    # Every write-back inserts one row on the claim's hot path, so it has no index that another
    # covers: source and task are looked up through outbox_source_status_idx and
    # outbox_task_status_idx (their leading columns); case and resolved_by, NULL on most rows,
    # through partial indexes of the rows that have one (what their ON DELETE lookups need).
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="outbox", db_index=False
    )
    task = models.ForeignKey(
        UserTask,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbox",
        db_index=False,
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="outbox", db_index=False
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    # The last attempt ended without a clear answer (or its worker died while sending): the
    # engine's state is read before anything is sent again.
    unconfirmed = models.BooleanField(default=False)
    reconciled = models.BooleanField(default=False)  # delivered as seen in the engine's state
    conflict_detail = models.TextField(blank=True)  # what the engine says instead
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx"),
            models.Index(fields=["task", "status"], name="outbox_task_status_idx"),
            models.Index(fields=["source", "status", "id"], name="outbox_source_status_idx"),
            models.Index(
                fields=["case"], name="outbox_case_idx", condition=models.Q(case__isnull=False)
            ),
            models.Index(
                fields=["resolved_by"],
                name="outbox_resolved_by_idx",
                condition=models.Q(resolved_by__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.action} -> {self.source} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class QuarantinedRecord(models.Model):
    """A record an engine sent that could not be stored faithfully, skipped with its reason.

    One row per (source, kind, raw id): seeing the record again refreshes ``seen_at``; a later
    faithful import of the same id removes it. Bounded per source (the newest
    ``QUARANTINE_PER_SOURCE`` are kept) by ``inbox/sync/quarantine.py``, the only writer.
    """

    class Kind(models.TextChoices):
        CASE = "case"
        TASK = "task"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="quarantined")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    external_id = models.TextField(help_text="The id as the engine sent it (escaped).")
    id_hash = models.CharField(max_length=40, help_text="sha1 of the raw id; unique per source.")
    reason = models.CharField(max_length=500)
    payload_excerpt = models.TextField(blank=True)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-seen_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "id_hash"], name="quarantine_source_kind_id_uniq"
            )
        ]
        indexes = [models.Index(fields=["source", "-seen_at"], name="quarantine_source_seen_idx")]

    def __str__(self):
        return f"{self.kind} {self.external_id[:60]}: {self.reason}"


class ListView(models.Model):
    """A saved list: filters + sort + columns, personal or shared (DESIGN: ``inbox/listviews.py``
    is its only writer; ``inbox.queries.views`` its reader).

    ``filters`` holds list query parameters as text (``{"status": "UNASSIGNED",
    "context__region": "EU"}``), validated by ``TaskFilters.from_params`` when saved; ``columns``
    names context variables. Shared with ``groups`` (members see it), or with everyone (admins
    only). Only the owner or an admin edits it. Applying a view never widens what the viewer
    may see: its filters narrow the viewer's own visible tasks.
    """

    name = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="list_views"
    )
    filters = models.JSONField(default=dict, blank=True)
    sort = models.CharField(max_length=120, blank=True, default="")
    columns = models.JSONField(default=list, blank=True)
    groups = models.ManyToManyField(Group, blank=True, related_name="list_views")
    everyone = models.BooleanField(default=False, help_text="Shared with every user (admins).")
    pinned = models.BooleanField(default=False, help_text="Shown in the navigation with a count.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["owner", "name"], name="listview_owner_idx")]

    def __str__(self):
        return self.name
