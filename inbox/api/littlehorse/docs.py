"""OpenAPI descriptions of the bridge's shapes (documentation only: the views build their JSON in
``shapes``), and ``bridge_schema`` to annotate a route with its parameters and answers."""

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from inbox.api.littlehorse.base import TAG


class ErrorSerializer(serializers.Serializer):
    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField()
    message = serializers.CharField(help_text="What the bridge's clients read.")
    code = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class UserGroupSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    valid = serializers.BooleanField()


class UserSerializer(serializers.Serializer):
    id = serializers.CharField()
    email = serializers.CharField(allow_null=True)
    username = serializers.CharField()
    firstName = serializers.CharField(allow_null=True)
    lastName = serializers.CharField(allow_null=True)
    valid = serializers.BooleanField()


class SimpleTaskSerializer(serializers.Serializer):
    id = serializers.CharField()
    wfRunId = serializers.CharField()
    userTaskDefName = serializers.CharField()
    userGroup = UserGroupSerializer(allow_null=True)
    user = UserSerializer(allow_null=True)
    status = serializers.ChoiceField(["UNASSIGNED", "ASSIGNED", "DONE", "CANCELLED"])
    notes = serializers.CharField()
    scheduledTime = serializers.CharField(help_text="yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")


class TaskListSerializer(serializers.Serializer):
    userTasks = SimpleTaskSerializer(many=True)
    bookmark = serializers.CharField(allow_null=True)


class FieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    displayName = serializers.CharField()
    description = serializers.CharField()
    type = serializers.CharField()
    required = serializers.BooleanField()


class AuditEventSerializer(serializers.Serializer):
    time = serializers.CharField()
    type = serializers.ChoiceField(
        [
            "TASK_ASSIGNED",
            "TASK_CANCELLED",
            "TASK_COMPLETED",
            "COMMENT_ADDED",
            "COMMENT_EDITED",
            "COMMENT_DELETED",
        ]
    )
    event = serializers.DictField()


class DetailedTaskSerializer(SimpleTaskSerializer):
    fields = FieldSerializer(many=True)
    results = serializers.DictField()
    events = AuditEventSerializer(many=True, required=False, help_text="Admin routes only.")


class TaskTypesSerializer(serializers.Serializer):
    userTaskDefNames = serializers.ListField(child=serializers.CharField())
    bookmark = serializers.CharField(allow_null=True)


class GroupListSerializer(serializers.Serializer):
    groups = UserGroupSerializer(many=True)


class UserListSerializer(serializers.Serializer):
    users = UserSerializer(many=True)


class ManagedGroupSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()


class ManagedGroupListSerializer(serializers.Serializer):
    groups = ManagedGroupSerializer(many=True)


class ManagedUserSerializer(serializers.Serializer):
    id = serializers.CharField()
    username = serializers.CharField()
    firstName = serializers.CharField(allow_null=True)
    lastName = serializers.CharField(allow_null=True)
    email = serializers.CharField(allow_null=True)
    groups = ManagedGroupSerializer(many=True)
    realmRoles = serializers.ListField(child=serializers.CharField())
    clientRoles = serializers.DictField()
    enabled = serializers.BooleanField()


class ManagedUserListSerializer(serializers.Serializer):
    users = ManagedUserSerializer(many=True)


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField()


class AssignSerializer(serializers.Serializer):
    userId = serializers.CharField(required=False)
    userGroup = serializers.CharField(required=False)


class CreateUserSerializer(serializers.Serializer):
    firstName = serializers.CharField(required=False)
    lastName = serializers.CharField(required=False)
    username = serializers.CharField()
    email = serializers.EmailField(required=False)


class UpdateUserSerializer(serializers.Serializer):
    firstName = serializers.CharField(required=False)
    lastName = serializers.CharField(required=False)
    email = serializers.EmailField(required=False)
    enabled = serializers.BooleanField(required=False)


class PasswordSerializer(serializers.Serializer):
    password = serializers.CharField()
    temporary = serializers.BooleanField(required=False)


class GroupNameSerializer(serializers.Serializer):
    name = serializers.CharField()


RESULTS = OpenApiTypes.OBJECT

STATUS_TEXT = {
    400: "Invalid input.",
    401: "Unknown tenant, no credentials, or another user's task.",
    403: "Not allowed (admins only, a group that is not the caller's, or a DONE/CANCELLED task).",
    404: "No such task, comment, user or group.",
    409: "Conflict with the current state.",
    412: "The task is DONE or CANCELLED.",
}


def _query(*names: str, required: tuple[str, ...] = ()) -> list[OpenApiParameter]:
    return [
        OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.QUERY, required=name in required)
        for name in names
    ]


USER_QUERY = (
    "email",
    "first_name",
    "last_name",
    "username",
    "user_group_id",
    "first_result",
    "max_results",
)
LIST_PARAMS = ("earliest_start_date", "latest_start_date", "status", "type", "user_group_id")


def bridge_schema(
    summary: str,
    ok,
    *errors: int,
    ok_status: int = 200,
    request=None,
    query: tuple[str, ...] = (),
    required: tuple[str, ...] = (),
):
    """``extend_schema`` for one bridge operation: its answer, its errors, its parameters."""
    responses = {ok_status: ok if ok is not None else OpenApiResponse(description="No body.")}
    for status in (401, *errors):
        responses[status] = OpenApiResponse(ErrorSerializer, description=STATUS_TEXT[status])
    words = re.findall(r"[a-z]+", summary.lower().replace("'s", ""))
    return extend_schema(
        operation_id="lh_" + "_".join(words[:8]),
        tags=[TAG],
        summary=summary,
        request=request,
        responses=responses,
        parameters=_query(*query, required=required),
    )
