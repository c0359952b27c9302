"""Output shapes shared by several API views: tasks, their comments and events, users, groups,
cases and sources. Input serializers live next to their view (HackSoft style).

Users are named by ``username`` and groups by ``name``; every reference carries the id too.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inbox.fields import FIELD_TYPES
from inbox.lifecycle.away import held_for
from inbox.models import Case, OutboxCommand, Source, TaskEvent, TaskStatus
from inbox.secrets import redact_text, redact_url, source_secrets
from inbox.sources import credential_keys
from inbox.sync import quarantine


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()

    class Meta:
        ref_name = "UserRef"


class GroupRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()

    class Meta:
        ref_name = "GroupRef"


class SourceRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Source.Kind.choices)

    class Meta:
        ref_name = "SourceRef"


class CaseRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    external_id = serializers.CharField()

    class Meta:
        ref_name = "CaseRef"


class FieldDefinitionSerializer(serializers.Serializer):
    name = serializers.CharField()
    display_name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    type = serializers.ChoiceField(choices=FIELD_TYPES)
    required = serializers.BooleanField()

    class Meta:
        ref_name = "FieldDefinition"


class ResultValueSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=FIELD_TYPES)
    value = serializers.JSONField(help_text="A string, number or boolean, as the type says.")

    class Meta:
        ref_name = "ResultValue"


class TaskSerializer(serializers.Serializer):
    """A task in a list."""

    id = serializers.UUIDField()
    wf_run_id = serializers.CharField()
    type = serializers.CharField(source="task_type")
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=TaskStatus.choices)
    assignee = UserRefSerializer(allow_null=True)
    group = GroupRefSerializer(allow_null=True)
    upstream_assignee = serializers.CharField(allow_blank=True)
    priority = serializers.IntegerField()
    due_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    case = CaseRefSerializer(allow_null=True)
    source = SourceRefSerializer()
    version = serializers.IntegerField(help_text="Bumped on every change; the detail's ETag.")
    delivery = serializers.ChoiceField(
        choices=["", "pending", "failed", "conflict"],
        help_text="Empty when every write-back reached the engine; else `pending` (on its "
        "way or retrying), `failed` or `conflict`.",
    )

    class Meta:
        ref_name = "Task"


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = UserRefSerializer()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "Comment"


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=TaskEvent.Kind.choices)
    actor = UserRefSerializer(allow_null=True)
    actor_name = serializers.CharField(help_text="A username, `engine:<source>` or `system`.")
    data = serializers.DictField(help_text="What changed (old/new user and group, results, ...).")
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "TaskEvent"


class WriteBackSerializer(serializers.Serializer):
    """One write-back to the task's engine and where it stands."""

    id = serializers.IntegerField()
    action = serializers.ChoiceField(choices=OutboxCommand.Action.choices)
    state = serializers.ChoiceField(
        source="status",
        choices=OutboxCommand.Status.choices,
        help_text="pending: on its way; retrying: see next_attempt_at and last_error; "
        "delivered: see delivered_at (reconciled: confirmed from the engine's state after an "
        "unclear answer); failed: see last_error; conflict: see conflict_detail (the engine "
        "shows a different decision); resolved: an admin took the engine's state.",
    )
    summary = serializers.SerializerMethodField()
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.SerializerMethodField()
    last_error = serializers.CharField(allow_blank=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    reconciled = serializers.BooleanField()
    conflict_detail = serializers.CharField(allow_blank=True)
    requested_by = UserRefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "WriteBack"

    def get_summary(self, command) -> str:
        from inbox.delivery import describe

        return describe(command)

    def get_next_attempt_at(self, command) -> str | None:
        """When the next attempt is due (only while the write-back is still open)."""
        return command.next_attempt_at.isoformat() if command.is_open else None


class TaskStateSerializer(TaskSerializer):
    """A task with its form, results and context: what a claim answers (no comments, history or
    write-backs: GET the task for those)."""

    description = serializers.CharField(allow_blank=True)
    fields = FieldDefinitionSerializer(many=True)
    results = serializers.DictField(child=ResultValueSerializer())
    context = serializers.DictField(help_text="The engine's variables, read-only.")

    class Meta:
        ref_name = "TaskState"


class TaskDetailSerializer(TaskStateSerializer):
    """A task with its form, results, context, comments, history and write-backs."""

    comments = CommentSerializer(many=True, source="visible_comments")
    events = EventSerializer(many=True, source="event_list")
    write_backs = WriteBackSerializer(many=True, source="write_back_list")
    held_for = serializers.SerializerMethodField(
        help_text="Out of office: whom the assignee holds this task for (`{id, username}` of "
        "the user it was assigned to, who is away), or null."
    )

    class Meta:
        ref_name = "TaskDetail"

    def get_held_for(self, task) -> dict | None:
        return held_for(task, getattr(task, "event_list", None))


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    first_name = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    is_active = serializers.BooleanField()
    is_inbox_admin = serializers.BooleanField()
    groups = GroupRefSerializer(many=True, source="group_list")

    class Meta:
        ref_name = "User"


def page_serializer(name: str, item) -> type[serializers.Serializer]:
    """``{"results": [item], "bookmark": str | null}`` as a named schema component."""
    meta = type("Meta", (), {"ref_name": name})
    return type(
        name + "Serializer",
        (serializers.Serializer,),
        {
            "results": item(many=True) if isinstance(item, type) else item,
            "bookmark": serializers.CharField(
                allow_null=True,
                help_text="Pass it back to get the next page; null on the last page.",
            ),
            "Meta": meta,
        },
    )


class StageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    name = serializers.CharField()
    position = serializers.IntegerField()
    status = serializers.CharField(allow_blank=True)
    sla = serializers.JSONField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    tasks = serializers.ListField(
        child=serializers.JSONField(),
        source="listed_tasks",
        help_text="The stage's tasks as the engine lists them; an entry matching an inbox task "
        "the caller may see carries it as `inbox_task`.",
    )

    class Meta:
        ref_name = "Stage"


class CaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    process_key = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=Case.Status.choices)
    upstream_status = serializers.CharField(allow_blank=True)
    source = SourceRefSerializer()
    started_by = serializers.CharField(allow_blank=True)
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    progress_done = serializers.IntegerField(allow_null=True)
    progress_total = serializers.IntegerField(allow_null=True)
    updated_at = serializers.DateTimeField()

    class Meta:
        ref_name = "Case"


class CaseDetailSerializer(CaseSerializer):
    supported_actions = serializers.ListField(
        child=serializers.ChoiceField(choices=["pause", "resume", "close"]),
        help_text="What admins may ask the engine to do to this case.",
    )
    history = serializers.ListField(child=serializers.JSONField())
    stages = StageSerializer(many=True, source="stage_list")

    class Meta:
        ref_name = "CaseDetail"


class SourceSerializer(serializers.Serializer):
    """A source's configuration and health. Credentials are never shown, only their keys."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Source.Kind.choices)
    base_url = serializers.SerializerMethodField()
    enabled = serializers.BooleanField()
    poll_interval = serializers.IntegerField()
    watch = serializers.JSONField(help_text="What to watch (process keys, workflows, ...).")
    mapping = serializers.JSONField(help_text="How upstream users and groups map to local ones.")
    credential_keys = serializers.SerializerMethodField(
        help_text="Which credentials are set (never their values)."
    )
    last_success_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.SerializerMethodField(
        help_text="The last poll's error, with secrets (URL userinfo, tokens) shown as `***`."
    )
    last_error_at = serializers.DateTimeField(allow_null=True)
    consecutive_failures = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    healthy = serializers.SerializerMethodField()
    poll_max_seconds = serializers.IntegerField(help_text="Wall-clock budget of one poll.")
    poll_max_pages = serializers.IntegerField(help_text="Most pages one poll reads.")
    skipped_records = serializers.SerializerMethodField(
        help_text="Records the engine sent that could not be stored faithfully: how many, "
        "and the latest with their reasons and raw ids."
    )

    class Meta:
        ref_name = "Source"

    def get_base_url(self, source) -> str:
        """Userinfo shows as ``***@``; PATCHing that back keeps the stored one."""
        return redact_url(source.base_url)

    def get_last_error(self, source) -> str:
        return redact_text(source.last_error, source_secrets(source))

    def get_credential_keys(self, source) -> list[str]:
        return credential_keys(source)

    def get_healthy(self, source) -> bool:
        return source.consecutive_failures == 0

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "count": {"type": "integer"},
                "latest": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "kind": {"type": "string"},
                            "external_id": {"type": "string"},
                            "reason": {"type": "string"},
                            "seen_at": {"type": "string", "format": "date-time"},
                        },
                    },
                },
            },
        }
    )
    def get_skipped_records(self, source) -> dict:
        return quarantine.summary(source)
