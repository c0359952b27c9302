"""The caller: who they are, their groups, and their API tokens."""

from django.contrib.auth.models import Group
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.models import ApiToken
from accounts.services import api_token_create, api_token_revoke
from inbox.api import selectors
from inbox.api.errors import error_responses
from inbox.api.serializers import GroupRefSerializer, UserSerializer
from inbox.api.views.common import ApiView
from inbox.errors import ValidationError

TAGS = ["me"]


class GroupListSerializer(serializers.Serializer):
    results = GroupRefSerializer(many=True)

    class Meta:
        ref_name = "GroupList"


class MeApi(ApiView):
    """Anyone signed in: their own account, groups and whether they are an inbox admin."""

    @extend_schema(
        operation_id="me_retrieve",
        tags=TAGS,
        summary="Who am I",
        responses={200: UserSerializer, **error_responses()},
    )
    def get(self, request):
        user = selectors.decorate_users([request.user])[0]
        return Response(UserSerializer(user).data)


class MyGroupListApi(ApiView):
    """Anyone signed in: the groups they belong to (whose tasks they see and claim)."""

    @extend_schema(
        operation_id="groups_list",
        tags=TAGS,
        summary="My groups",
        responses={200: GroupListSerializer, **error_responses()},
    )
    def get(self, request):
        groups = Group.objects.filter(pk__in=request.user.group_ids()).order_by("name")
        return Response({"results": GroupRefSerializer(groups, many=True).data})


class TokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    prefix = serializers.CharField(help_text="The token's first characters, to recognise it.")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(
        allow_null=True, help_text="Updated at most once a minute."
    )
    revoked_at = serializers.DateTimeField(allow_null=True)
    scope = serializers.ChoiceField(choices=ApiToken.Scope.choices)
    groups = serializers.SerializerMethodField(help_text="Where a `create` token may create.")
    expires_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "ApiToken"

    def get_groups(self, token) -> list[str]:
        return sorted(g.name for g in token.groups.all())


class TokenListApi(ApiView):
    """Anyone signed in: their own API tokens (never the secret), newest first."""

    @extend_schema(
        operation_id="me_tokens_list",
        tags=TAGS,
        summary="List my API tokens",
        responses={200: TokenSerializer(many=True), **error_responses()},
    )
    def get(self, request):
        return Response(TokenSerializer(selectors.token_list(user=request.user), many=True).data)


class TokenCreateApi(ApiView):
    """Anyone signed in: a new token for themselves; the secret is in this answer only."""

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
        scope = serializers.ChoiceField(
            choices=ApiToken.Scope.choices,
            default=ApiToken.Scope.FULL,
            help_text="`full` acts as you; `read` only reads; `create` reads and creates tasks "
            "in `groups` (yours; admins: any).",
        )
        groups = serializers.ListField(
            child=serializers.CharField(max_length=150), required=False, default=list
        )
        expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

        class Meta:
            ref_name = "ApiTokenCreateInput"

    class OutputSerializer(TokenSerializer):
        token = serializers.CharField(help_text="The secret; shown once, stored only hashed.")

        class Meta:
            ref_name = "ApiTokenCreated"

    @extend_schema(
        operation_id="me_tokens_create",
        tags=TAGS,
        summary="Create an API token",
        request=InputSerializer,
        examples=[OpenApiExample("Named", value={"name": "ci-bot"}, request_only=True)],
        responses={201: OutputSerializer, **error_responses(400)},
    )
    def post(self, request):
        serializer = TokenCreateApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        groups = list(Group.objects.filter(name__in=data["groups"]))
        unknown = sorted(set(data["groups"]) - {g.name for g in groups})
        if unknown:
            raise ValidationError(
                f"Unknown groups: {', '.join(unknown)}.", fields={"groups": ["Unknown group."]}
            )
        if not request.user.is_inbox_admin:
            foreign = sorted(g.name for g in groups if g.pk not in request.user.group_ids())
            if foreign:
                raise ValidationError(
                    f"You are not a member of: {', '.join(foreign)}.",
                    fields={"groups": ["Only your own groups."]},
                )
        if data["scope"] == ApiToken.Scope.CREATE and not groups:
            raise ValidationError(
                "A create token needs the groups it may create tasks in.",
                fields={"groups": ["Name at least one group."]},
            )
        if data["expires_at"] is not None and data["expires_at"] <= timezone.now():
            raise ValidationError(
                "The expiry is in the past.", fields={"expires_at": ["Must be in the future."]}
            )
        token, raw = api_token_create(
            user=request.user,
            name=data["name"],
            scope=data["scope"],
            groups=groups,
            expires_at=data["expires_at"],
        )
        token.token = raw
        return Response(TokenCreateApi.OutputSerializer(token).data, status=201)


class TokenCollectionApi(TokenListApi, TokenCreateApi):
    """``me/tokens/``: GET lists, POST creates."""


class TokenRevokeApi(ApiView):
    """Anyone signed in: revoke one of their own tokens (others' are 404). Revoking is
    immediate and final; revoking a revoked token is a no-op."""

    @extend_schema(
        operation_id="me_tokens_destroy",
        tags=TAGS,
        summary="Revoke an API token",
        parameters=[
            OpenApiParameter(
                "token_id", OpenApiTypes.INT, location=OpenApiParameter.PATH, description="Its id."
            )
        ],
        request=None,
        responses={204: OpenApiResponse(description="Revoked."), **error_responses(404)},
    )
    def delete(self, request, token_id):
        api_token_revoke(token=selectors.token_get(user=request.user, token_id=token_id))
        return Response(status=204)
