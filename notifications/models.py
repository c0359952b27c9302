"""Notifications, preferences, webhooks, callbacks, and the outbox rows that feed them.

``EventOutbox`` is written by the lifecycle in the transaction that appends a TaskEvent or a
CaseEvent (one row per event); a worker turns it into ``FeedEntry`` rows (in commit order: the feed's cursor),
``Notification`` rows for people and ``WebhookDelivery`` rows for systems, then deletes it.
"""

import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone

from inbox.models import Case, CaseEvent, TaskEvent, UserTask


class Kind(models.TextChoices):
    ASSIGNED = "assigned", "A task is assigned to you"
    NEW_CLAIMABLE = "new_claimable", "New claimable tasks in your groups"
    DUE_SOON = "due_soon", "A task you hold is due soon"
    OVERDUE = "overdue", "A task you hold is overdue"
    ESCALATED = "escalated", "A task is escalated to you (SLA rules)"
    MENTION = "mention", "You are @mentioned in a comment"
    TAKEN_AWAY = "taken_away", "A task you hold is reassigned or ended by someone else"
    WRITEBACK_FAILED = "writeback_failed", "Admins: a write-back failed or conflicted"
    SOURCE_FAILING = "source_failing", "Admins: a source keeps failing"


class Mode(models.TextChoices):
    IMMEDIATELY = "immediately", "Immediately"
    DIGEST = "digest", "In a daily digest"
    OFF = "off", "Off"


def _one_of(name: str) -> models.CheckConstraint:
    """Exactly one of ``event`` (a TaskEvent) and ``case_event`` (a CaseEvent) is set."""
    return models.CheckConstraint(
        condition=models.Q(event__isnull=False, case_event__isnull=True)
        | models.Q(event__isnull=True, case_event__isnull=False),
        name=name,
    )


class EventOutbox(models.Model):
    """One appended TaskEvent or CaseEvent waiting to be fanned out (written in the event's
    transaction)."""

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(
        TaskEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # NULL on every task event's row: a partial index (rows that have one) serves the CASCADE
    # from a deleted case event, and a task event's row adds no entry to it.
    case_event = models.ForeignKey(
        CaseEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta:
        constraints = [_one_of("outbox_one_event")]
        indexes = [
            models.Index(
                fields=["case_event"],
                name="eventoutbox_case_event_idx",
                condition=models.Q(case_event__isnull=False),
            )
        ]

    def __str__(self):
        return f"outbox {self.pk} (event {self.event_id or self.case_event_id})"


class FeedEntry(models.Model):
    """The event feed's order: ``seq`` is assigned by one fan-out at a time, so a reader that
    has seen ``seq`` N never later finds a smaller one committed."""

    seq = models.BigAutoField(primary_key=True)
    event = models.OneToOneField(
        TaskEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    case_event = models.OneToOneField(
        CaseEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [_one_of("feed_one_event")]

    def __str__(self):
        return f"feed {self.seq} (event {self.event_id or self.case_event_id})"


class Notification(models.Model):
    class MailState(models.TextChoices):
        NONE = "none"
        PENDING = "pending"
        DIGEST = "digest"
        SENT = "sent"
        FAILED = "failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    task = models.ForeignKey(
        UserTask, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(Group, on_delete=models.CASCADE, null=True, blank=True)
    title = models.CharField(max_length=500)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    count = models.PositiveIntegerField(default=1, help_text="Tasks gathered in a batch.")
    batch_until = models.DateTimeField(
        null=True, blank=True, help_text="A batch gathers more tasks until then."
    )
    mail_state = models.CharField(max_length=10, choices=MailState.choices, default="none")
    chat_state = models.CharField(max_length=10, choices=MailState.choices, default="none")
    chat_attempts = models.PositiveIntegerField(default=0)
    chat_next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="A chat message that failed for now is retried then."
    )
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at", "id"], name="notif_user_unread_idx"),
            models.Index(fields=["user", "kind", "batch_until"], name="notif_batch_idx"),
            models.Index(fields=["mail_state", "user"], name="notif_mail_idx"),
        ]

    def __str__(self):
        return f"{self.kind} for {self.user_id}"


class Preference(models.Model):
    """How one user hears about one kind; absent: the group default, else immediately."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    mode = models.CharField(max_length=12, choices=Mode.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="pref_user_kind")]

    def __str__(self):
        return f"{self.kind}: {self.mode}"


class GroupDefault(models.Model):
    """An admin's default for the members of a group (a member's own choice wins)."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="notification_defaults")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    mode = models.CharField(max_length=12, choices=Mode.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "kind"], name="groupdefault_group_kind")
        ]

    def __str__(self):
        return f"{self.kind}: {self.mode}"


class UserSettings(models.Model):
    """Digest time in the user's zone, and their chat incoming webhook."""

    class ChatFormat(models.TextChoices):
        SLACK = "slack", "Slack"
        TEAMS = "teams", "Microsoft Teams"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    timezone = models.CharField(max_length=64, default="UTC")
    digest_time = models.TimeField(default="08:00")
    last_digest_at = models.DateTimeField(null=True, blank=True)
    chat_url = models.URLField(blank=True)
    chat_format = models.CharField(max_length=10, choices=ChatFormat.choices, default="slack")

    def __str__(self):
        return f"settings of {self.user_id}"


class Webhook(models.Model):
    """An admin's subscription of a URL to event kinds; deliveries are signed with ``secret``."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=1000)
    secret = models.CharField(max_length=100)
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class CompletionCallback(models.Model):
    """``callback_url`` given when a task was created through the API: called once when a
    person completes or cancels it."""

    task = models.OneToOneField(UserTask, on_delete=models.CASCADE, related_name="callback")
    url = models.URLField(max_length=1000)
    secret = models.CharField(max_length=200, blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"callback of {self.task_id}"


class WebhookDelivery(models.Model):
    """One signed POST (a webhook's event, or a completion callback): retried with backoff,
    in order per (target, task) and per (target, case), never re-sent after a 2xx."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    webhook = models.ForeignKey(
        Webhook, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    callback = models.ForeignKey(
        CompletionCallback,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    task = models.ForeignKey(
        UserTask, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    event_kind = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
            models.Index(fields=["webhook", "task", "status", "id"], name="delivery_order_idx"),
            models.Index(
                fields=["webhook", "case", "status", "id"], name="delivery_case_order_idx"
            ),
        ]

    def __str__(self):
        return f"{self.event_kind} {self.delivery_id} ({self.status})"
