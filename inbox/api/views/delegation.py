"""``POST /api/v1/tasks/{id}/delegate/``: the holder hands a task to a member of its group.

The write goes through ``inbox.lifecycle.task_delegate``; its errors become the API's bodies
(400 naming ``user`` or ``note``, 403, 404, 409, 412).
"""

from drf_spectacular.utils import OpenApiExample
from rest_framework import serializers

from inbox import lifecycle
from inbox.api.views.common import ApiView, expected_version
from inbox.api.views.tasks import _write_schema, detail_response
from inbox.lifecycle.delegation import NOTE_MAX_LENGTH


class TaskDelegateApi(ApiView):
    """The holder of an ASSIGNED task (admins: any) hands it to a member of its group."""

    class InputSerializer(serializers.Serializer):
        user = serializers.CharField(help_text="Username (or id) of the new holder.")
        note = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            max_length=NOTE_MAX_LENGTH,
            help_text="Shown in the task's history and in the new holder's notification.",
        )

        class Meta:
            ref_name = "TaskDelegateInput"

    @_write_schema(
        "tasks_delegate",
        "Delegate a task",
        "The holder of an ASSIGNED task hands it to another member of the task's group, with an "
        "optional note; it stays ASSIGNED, now to them, and is written back to the engine as an "
        "assignment. Admins may delegate any assigned task to anyone. An unknown or inactive "
        "user, someone outside the group, someone who is away, or the current holder: 400 "
        "`validation` naming `user`. Not the holder: 403. Not ASSIGNED or closed: 409 "
        "`task_state`. An engine that cannot assign: 409 `unsupported`.",
        request=InputSerializer,
        codes=(400, 403),
        examples=[
            OpenApiExample(
                "To a colleague",
                value={"user": "bob", "note": "You know this customer"},
                request_only=True,
            )
        ],
    )
    def post(self, request, task_id):
        serializer = TaskDelegateApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lifecycle.task_delegate(
            task_id=task_id,
            user=request.user,
            to=serializer.validated_data["user"],
            note=serializer.validated_data["note"],
            expected_version=expected_version(request),
        )
        return detail_response(task_id)
