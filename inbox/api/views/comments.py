"""Comments on a task: anyone who may see the task reads and adds them; only the author edits
or deletes one. Writes go through ``inbox.lifecycle``."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from inbox import lifecycle
from inbox.api import selectors
from inbox.api.errors import error_responses
from inbox.api.serializers import CommentSerializer
from inbox.api.views.common import TASK_ID, ApiView

TAGS = ["comments"]
COMMENT_ID = OpenApiParameter(
    "comment_id", OpenApiTypes.INT, location=OpenApiParameter.PATH, description="The comment's id."
)


class CommentInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10_000)

    class Meta:
        ref_name = "CommentInput"


TEXT_EXAMPLE = OpenApiExample(
    "Comment", value={"text": "Receipts are in the shared folder."}, request_only=True
)


class CommentListApi(ApiView):
    """Anyone who may see the task: its comments, oldest first (deleted ones left out)."""

    @extend_schema(
        operation_id="tasks_comments_list",
        tags=TAGS,
        summary="List a task's comments",
        parameters=[TASK_ID],
        responses={200: CommentSerializer(many=True), **error_responses(404)},
    )
    def get(self, request, task_id):
        comments = selectors.task_comments(user=request.user, task_id=task_id)
        return Response(CommentSerializer(comments, many=True).data)


class CommentAddApi(ApiView):
    """Anyone who may see the task comments on it, in any state."""

    InputSerializer = CommentInputSerializer

    @extend_schema(
        operation_id="tasks_comments_create",
        tags=TAGS,
        summary="Comment on a task",
        parameters=[TASK_ID],
        request=CommentInputSerializer,
        examples=[TEXT_EXAMPLE],
        responses={201: CommentSerializer, **error_responses(400, 404)},
    )
    def post(self, request, task_id):
        serializer = CommentAddApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = lifecycle.comment_add(
            task_id=task_id, user=request.user, text=serializer.validated_data["text"]
        )
        return Response(CommentSerializer(comment).data, status=201)


class CommentCollectionApi(CommentListApi, CommentAddApi):
    """``tasks/{id}/comments/``: GET lists (CommentListApi), POST adds (CommentAddApi)."""


class CommentEditApi(ApiView):
    """The comment's author edits its text (others: 403)."""

    InputSerializer = CommentInputSerializer

    @extend_schema(
        operation_id="tasks_comments_update",
        tags=TAGS,
        summary="Edit a comment",
        parameters=[TASK_ID, COMMENT_ID],
        request=CommentInputSerializer,
        examples=[TEXT_EXAMPLE],
        responses={200: CommentSerializer, **error_responses(400, 403, 404)},
    )
    def patch(self, request, task_id, comment_id):
        serializer = CommentEditApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = lifecycle.comment_edit(
            task_id=task_id,
            comment_id=comment_id,
            user=request.user,
            text=serializer.validated_data["text"],
        )
        return Response(CommentSerializer(comment).data)


class CommentDeleteApi(ApiView):
    """The comment's author deletes it (others: 403); the task's history keeps the event."""

    @extend_schema(
        operation_id="tasks_comments_destroy",
        tags=TAGS,
        summary="Delete a comment",
        parameters=[TASK_ID, COMMENT_ID],
        request=None,
        responses={204: OpenApiResponse(description="Deleted."), **error_responses(403, 404)},
    )
    def delete(self, request, task_id, comment_id):
        lifecycle.comment_delete(task_id=task_id, comment_id=comment_id, user=request.user)
        return Response(status=204)


class CommentItemApi(CommentEditApi, CommentDeleteApi):
    """``tasks/{id}/comments/{comment_id}/``: PATCH edits, DELETE deletes."""
