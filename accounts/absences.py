"""Out of office: setting absences, and who stands in for whom right now.

Writes (``absence_create``, ``absence_delete``) lock the absent user's row first
(``SELECT ... FOR UPDATE``), so two simultaneous requests cannot both pass the overlap check;
call them from views, API views or commands, in or outside a transaction. Every refusal is an
``inbox.errors.ValidationError`` naming the field (``starts_at``, ``ends_at``, ``substitute``).

Reads (``substitute_for``, ``substitutes_of``, ``active_absence``) are what the lifecycle
(assignments), the sync importer (engine assignees) and notifications (claimable notices) ask;
they never write. Giving held tasks back at an absence's start is a lifecycle operation
(``inbox.lifecycle.away``), not here.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Absence, User
from inbox.errors import NotFound, ValidationError
from inbox.parsing import is_ascii_int

MAX_CHAIN = 5  # substitutes of substitutes followed at most this far


def _at(at: datetime | None) -> datetime:
    return at or timezone.now()


def current(at: datetime | None = None) -> Q:
    """Absences running at ``at`` (default now)."""
    at = _at(at)
    return Q(starts_at__lte=at, ends_at__gt=at)


def active_absence(user: User | int | None, at: datetime | None = None) -> Absence | None:
    """The absence ``user`` is on at ``at`` (default now), with its substitute, or None."""
    if user is None:
        return None
    user_id = user if isinstance(user, int) else user.pk
    return (
        Absence.objects.filter(current(at), user_id=user_id)
        .select_related("substitute")
        .order_by("starts_at")
        .first()
    )


def substitute_for(user: User | None, at: datetime | None = None) -> User | None:
    """Who receives what is assigned to ``user`` at ``at``: None when ``user`` is not away.

    Follows a substitute who is away too (up to MAX_CHAIN steps); in a loop (two people
    standing in for each other) the first substitute is kept. An inactive substitute counts
    as none: the assignment then stays with ``user``."""
    if user is None:
        return None
    chain: list[User] = []
    current_user = user
    for _ in range(MAX_CHAIN):
        absence = active_absence(current_user, at)
        if absence is None or not absence.substitute.is_active:
            break
        if absence.substitute_id in {user.pk, *(u.pk for u in chain)}:
            return chain[0]  # everyone in the loop is away: the first substitute keeps it
        current_user = absence.substitute
        chain.append(current_user)
    return chain[-1] if chain else None


def substitutes_of(user_ids, at: datetime | None = None) -> dict[int, int]:
    """absent user id -> their substitute's id, for those of ``user_ids`` away at ``at`` (one
    query; a substitute who is away too is not followed here: notices are not chained)."""
    rows = Absence.objects.filter(
        current(at), user_id__in=list(user_ids), substitute__is_active=True
    ).values_list("user_id", "substitute_id")
    return dict(rows)


def absences_of(user: User) -> list[Absence]:
    """``user``'s absences that have not ended, soonest first."""
    return list(
        Absence.objects.filter(user=user, ends_at__gt=timezone.now())
        .select_related("substitute")
        .order_by("starts_at", "id")
    )


def _resolve_substitute(value) -> User:
    if isinstance(value, User):
        return value
    if value in (None, ""):
        raise ValidationError(
            "Name who stands in for you.", fields={"substitute": ["This field is required."]}
        )
    lookup = User.objects.filter(username=str(value))
    if is_ascii_int(value):
        lookup = User.objects.filter(pk=int(value)) | lookup
    user = lookup.first()
    if user is None:
        raise ValidationError(
            f"Unknown user {value!r}.", fields={"substitute": [f"No user named {value!r}."]}
        )
    return user


def _fmt(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


@transaction.atomic
def absence_create(
    *,
    user: User,
    starts_at: datetime | None,
    ends_at: datetime | None,
    substitute: User | str | int | None,
    return_tasks: bool = False,
) -> Absence:
    """Record an absence of ``user``. Refused (ValidationError, field named) when: a date is
    missing; ``ends_at`` is not after ``starts_at`` or already past; the substitute is unknown,
    inactive or ``user``; it overlaps another absence of ``user``."""
    if starts_at is None:
        raise ValidationError(
            "Say when you leave.", fields={"starts_at": ["Give a date and time."]}
        )
    if ends_at is None:
        raise ValidationError(
            "Say when you are back.", fields={"ends_at": ["Give a date and time."]}
        )
    if ends_at <= starts_at:
        raise ValidationError(
            "The absence must end after it starts.",
            fields={"ends_at": ["Must be after the start."]},
        )
    if ends_at <= timezone.now():
        raise ValidationError(
            "That absence is already over.", fields={"ends_at": ["Must be in the future."]}
        )
    sub = _resolve_substitute(substitute)
    if sub.pk == user.pk:
        raise ValidationError(
            "You cannot stand in for yourself.",
            fields={"substitute": ["Choose someone other than yourself."]},
        )
    if not sub.is_active:
        raise ValidationError(
            f"{sub.username} is inactive.", fields={"substitute": [f"{sub.username} is inactive."]}
        )
    User.objects.select_for_update().filter(pk=user.pk).first()  # one writer per user
    clash = (
        Absence.objects.filter(user=user, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .order_by("starts_at")
        .first()
    )
    if clash is not None:
        message = f"Overlaps your absence from {_fmt(clash.starts_at)} to {_fmt(clash.ends_at)}."
        raise ValidationError(message, fields={"starts_at": [message]})
    return Absence.objects.create(
        user=user,
        starts_at=starts_at,
        ends_at=ends_at,
        substitute=sub,
        return_tasks=bool(return_tasks),
    )


@transaction.atomic
def absence_delete(*, user: User, absence_id) -> None:
    """Remove one of ``user``'s absences (others' or unknown ids: NotFound). Deleting a running
    absence ends it now: routing is normal again from this moment."""
    pk = int(absence_id) if is_ascii_int(absence_id) else None
    User.objects.select_for_update().filter(pk=user.pk).first()
    deleted, _ = Absence.objects.filter(pk=pk, user=user).delete() if pk else (0, {})
    if not deleted:
        raise NotFound("No such absence")


def members_with_absence(group_id: int | None, *, exclude_id: int | None = None) -> list[dict]:
    """The active members of a group (for the delegate picker), each with ``away_until`` when
    they are away now (None otherwise), by username."""
    if group_id is None:
        return []
    users = (
        User.objects.filter(groups=group_id, is_active=True)
        .exclude(pk=exclude_id)
        .order_by("username")
        .values_list("id", "username")
    )
    rows = list(users)
    away = dict(
        Absence.objects.filter(current(), user_id__in=[pk for pk, _ in rows]).values_list(
            "user_id", "ends_at"
        )
    )
    return [{"username": name, "away_until": away.get(pk)} for pk, name in rows]
