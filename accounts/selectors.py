"""Reads for the profile page."""

from accounts.models import ApiToken, User


def api_tokens_of(user: User) -> list[ApiToken]:
    """``user``'s API tokens, newest first, revoked and expired ones included (marked)."""
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-id"))
