"""Reads for the profile page and the admin user lists."""

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import ApiToken, User


def api_tokens_of(user: User) -> list[ApiToken]:
    """``user``'s API tokens, newest first, revoked and expired ones included (marked)."""
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-id"))


def with_sign_in_facts(users: QuerySet) -> QuerySet:
    """``users`` with what the admin user lists show: ``has_second_factor`` (an authenticator
    app or security key) annotated and SSO accounts prefetched for ``User.sign_in_methods``."""
    from allauth.mfa.models import Authenticator

    from accounts.mfa_required import SECOND_FACTORS

    return users.prefetch_related("socialaccount_set").annotate(
        has_second_factor=Exists(
            Authenticator.objects.filter(user=OuterRef("pk"), type__in=SECOND_FACTORS)
        )
    )
