"""Who wants to hear about what, and how: a user's own choice, else their groups' default
(the most talkative one when groups disagree), else immediately."""

from collections.abc import Iterable

from django.contrib.auth.models import Group

from accounts.models import User
from notifications.models import GroupDefault, Kind, Mode, Preference

RANK = {Mode.OFF: 0, Mode.DIGEST: 1, Mode.IMMEDIATELY: 2}


def modes_for(user_ids: Iterable[int], kind: str) -> dict[int, str]:
    """The mode of ``kind`` for each user, in three queries whatever the number of users."""
    user_ids = list(user_ids)
    if not user_ids:
        return {}
    modes = {uid: Mode.IMMEDIATELY for uid in user_ids}
    defaults = dict(GroupDefault.objects.filter(kind=kind).values_list("group_id", "mode"))
    if defaults:
        found: dict[int, str] = {}
        memberships = User.groups.through.objects.filter(
            user_id__in=user_ids, group_id__in=list(defaults)
        ).values_list("user_id", "group_id")
        for uid, gid in memberships:
            mode = defaults[gid]
            if uid not in found or RANK[mode] > RANK[found[uid]]:
                found[uid] = mode
        modes.update(found)
    modes.update(
        Preference.objects.filter(user_id__in=user_ids, kind=kind).values_list("user_id", "mode")
    )
    return modes


def preferences_of(user: User) -> dict[str, str]:
    """Every kind's effective mode for one user (the preferences page)."""
    return {kind: modes_for([user.pk], kind)[user.pk] for kind in Kind.values}


def preference_set(*, user: User, kind: str, mode: str) -> None:
    Preference.objects.update_or_create(user=user, kind=kind, defaults={"mode": mode})


def group_default_set(*, group: Group, kind: str, mode: str | None) -> None:
    """Set (or clear, with ``mode`` None) a group's default for ``kind``."""
    if mode is None:
        GroupDefault.objects.filter(group=group, kind=kind).delete()
    else:
        GroupDefault.objects.update_or_create(group=group, kind=kind, defaults={"mode": mode})
