"""Writes on users, groups and API tokens."""

import secrets

from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import TOKEN_PREFIX, ApiToken, User, hash_token
from accounts.token_lookup import find_active_token


def api_token_create(
    *,
    user: User,
    name: str = "",
    scope: str = ApiToken.Scope.FULL,
    groups: list[Group] | None = None,
    expires_at=None,
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the raw token, which is never stored.

    A ``create`` token names the groups it may create tasks in."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        digest=hash_token(raw),
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        scope=scope,
        expires_at=expires_at,
    )
    if groups:
        token.groups.set(groups)
    return token, raw


def api_token_revoke(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def api_token_lookup(raw: str) -> ApiToken | None:
    """The active token matching ``raw``, with its user, or None."""
    token = find_active_token(hash_token(raw))  # one indexed SELECT, compiled once
    if token is not None and token.expires_at is not None and token.expires_at <= timezone.now():
        return None
    return token


def group_get_or_create(name: str) -> Group:
    group, _ = Group.objects.get_or_create(name=name)
    return group


def user_set_time_zone(*, user: User, time_zone: str) -> None:
    """Save the zone ``user`` reads times in; blank means "my browser's". Raises ValueError
    for a name that is not an IANA time zone."""
    from accounts.timezones import valid_zone

    time_zone = (time_zone or "").strip()
    if time_zone and valid_zone(time_zone) is None:
        raise ValueError(f"{time_zone!r} is not a time zone; pick one from the list.")
    user.time_zone = time_zone
    user.save(update_fields=["time_zone"])
