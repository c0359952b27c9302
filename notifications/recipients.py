"""Who a notification goes to: admins, group members (or their substitutes while they are
away), mentioned users (reads only)."""

import re

from django.contrib.auth.models import Permission
from django.db.models import Q

from accounts.absences import substitutes_of
from accounts.models import User

MENTION = re.compile(r"(?<![\w.])@([\w.+-]{1,150})")


def admin_ids() -> list[int]:
    perm = Permission.objects.filter(
        codename="administer_tasks", content_type__app_label="inbox"
    ).first()
    q = Q(is_superuser=True)
    if perm is not None:
        q |= Q(user_permissions=perm) | Q(groups__permissions=perm)
    return list(User.objects.filter(q, is_active=True).values_list("id", flat=True).distinct())


def member_ids(group_id: int) -> list[int]:
    return list(User.objects.filter(groups=group_id, is_active=True).values_list("id", flat=True))


def mentioned_users(text: str) -> list[User]:
    names = {name.rstrip(".") for name in MENTION.findall(text or "")}
    if not names:
        return []
    return list(User.objects.filter(username__in=names, is_active=True))


def standing_in(user_ids: list[int]) -> tuple[list[int], dict[int, list[int]]]:
    """``user_ids`` with each one who is away replaced by their substitute (out of office):
    (recipients without duplicates, substitute id -> the absent ids they stand in for).
    Someone who is a recipient in their own right is not listed as standing in."""
    away = substitutes_of(user_ids)
    own = [uid for uid in user_ids if uid not in away]
    standing: dict[int, list[int]] = {}
    for absent, substitute in away.items():
        if substitute not in own:
            standing.setdefault(substitute, []).append(absent)
    return [*own, *standing], standing
