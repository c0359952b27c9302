"""Who a notification goes to: admins, group members, mentioned users (reads only)."""

import re

from django.contrib.auth.models import Permission
from django.db.models import Q

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
