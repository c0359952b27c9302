"""User and group management behind the bridge's ``/management`` routes, on the inbox's own
users and Django groups. Every function runs in one transaction and records what it changed
as a Django admin ``LogEntry`` (shown in the Django admin's history of the user or group),
with the acting admin.

Passwords go through Django's validators (``AUTH_PASSWORD_VALIDATORS``). A user with history
(tasks, events, comments: protected rows) cannot be deleted: it is deactivated instead, its
groups, admin permission and API tokens removed, so the audit trail stays intact.
"""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from accounts.models import ADMIN_PERMISSION, User
from inbox.api.littlehorse.base import BridgeError
from inbox.errors import ValidationError
from inbox.models import TaskStatus, UserTask

NAME_MAX = 150


def record(actor: User, obj, flag: int, message: str) -> None:
    """One audit row: who changed which user or group, and how."""
    LogEntry.objects.create(
        user_id=actor.pk,
        content_type_id=ContentType.objects.get_for_model(type(obj)).pk,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action_flag=flag,
        change_message=f"{message} (LittleHorse bridge management API)",
    )


def _clean(value, name: str, *, max_length: int = NAME_MAX) -> str | None:
    """A text member of a request body: None when absent, else stripped; 400 when not text."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be text.", fields={name: ["Must be a string."]})
    value = value.strip()
    if len(value) > max_length:
        raise ValidationError(
            f"{name} is too long.", fields={name: [f"At most {max_length} characters."]}
        )
    return value


def _email(value) -> str | None:
    email = _clean(value, "email", max_length=254)
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            raise ValidationError(
                "email must be a well-formed email address",
                fields={"email": ["Enter a valid email address."]},
            ) from None
    return email


def holds_admin_role(user: User) -> bool:
    app_label, codename = ADMIN_PERMISSION.split(".")
    return (
        user.is_superuser
        or user.user_permissions.filter(
            content_type__app_label=app_label, codename=codename
        ).exists()
    )


def _admin_permission() -> Permission:
    app_label, codename = ADMIN_PERMISSION.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@transaction.atomic
def user_create(*, actor: User, data: dict) -> User:
    first = _clean(data.get("firstName"), "firstName")
    last = _clean(data.get("lastName"), "lastName")
    username = _clean(data.get("username"), "username")
    email = _email(data.get("email"))
    if not any((first, last, username, email)):
        raise ValidationError("Cannot create User while missing all properties.")
    if not username:
        raise ValidationError(
            "Cannot create User without username!", fields={"username": ["Required."]}
        )
    taken = User.objects.filter(username__iexact=username)
    if email:
        taken = taken | User.objects.filter(email__iexact=email)
    if taken.exists():
        raise BridgeError(409, "A user with the same username and/or email already exists.")
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username, email=email or "", first_name=first or "", last_name=last or ""
            )
    except IntegrityError:
        raise BridgeError(
            409, "A user with the same username and/or email already exists."
        ) from None
    record(actor, user, ADDITION, "created")
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, data: dict) -> User:
    """First and last name, email and enabled; the username cannot change (as the bridge).
    An absent ``enabled`` leaves it as it is; an admin cannot disable themselves."""
    if _clean(data.get("username"), "username"):
        raise ValidationError(
            "Username is not allowed to be edited!", fields={"username": ["Cannot change."]}
        )
    changed = []
    for member, attr in (("firstName", "first_name"), ("lastName", "last_name")):
        value = _clean(data.get(member), member)
        if value:
            setattr(user, attr, value)
            changed.append(attr)
    email = _email(data.get("email"))
    if email:
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            raise BridgeError(409, "A user with the same email already exists.")
        user.email = email
        changed.append("email")
    enabled = data.get("enabled")
    if enabled is not None:
        if not isinstance(enabled, bool):
            raise ValidationError("enabled must be true or false.", fields={"enabled": ["Bool."]})
        if not enabled and user.pk == actor.pk:
            raise BridgeError(409, "Cannot disable yourself!")
        user.is_active = enabled
        changed.append("is_active")
    if changed:
        user.save(update_fields=changed)
        record(actor, user, CHANGE, f"changed {', '.join(changed)}")
    return user


@transaction.atomic
def user_set_password(*, actor: User, user: User, data: dict) -> None:
    password = data.get("password")
    if not isinstance(password, str) or not password.strip():
        raise ValidationError(
            "Password must not be NULL, empty nor a whitespace-only value",
            fields={"password": ["Required."]},
        )
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationError("; ".join(exc.messages), fields={"password": exc.messages}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    record(actor, user, CHANGE, "set password")


@transaction.atomic
def user_delete(*, actor: User, user: User, ignore_orphan_tasks: bool) -> None:
    if user.pk == actor.pk:
        raise BridgeError(409, "Cannot remove yourself as user!")
    held = UserTask.objects.filter(assignee=user, status=TaskStatus.ASSIGNED).exists()
    if held and not ignore_orphan_tasks:
        raise BridgeError(
            409, "Cannot delete Users with Task(s) assigned that are pending to be completed!"
        )
    repr_, pk = str(user), user.pk
    try:
        with transaction.atomic():
            user.delete()
        entry = User(pk=pk, username=repr_)
        record(actor, entry, DELETION, "deleted")
    except ProtectedError:
        user.is_active = False
        user.save(update_fields=["is_active"])
        user.groups.clear()
        user.user_permissions.remove(_admin_permission())
        user.api_tokens.all().delete()
        record(actor, user, DELETION, "deleted: deactivated, history kept")


@transaction.atomic
def user_set_admin(*, actor: User, user: User, admin: bool) -> None:
    if not admin and user.pk == actor.pk:
        raise BridgeError(409, "Cannot remove yourself as admin!")
    permission = _admin_permission()
    if admin:
        user.user_permissions.add(permission)
    else:
        user.user_permissions.remove(permission)
    record(actor, user, CHANGE, "admin role given" if admin else "admin role removed")


@transaction.atomic
def user_join_group(*, actor: User, user: User, group: Group, join: bool) -> None:
    if join:
        user.groups.add(group)
    else:
        user.groups.remove(group)
    record(actor, user, CHANGE, f"{'joined' if join else 'left'} group {group.name}")


def _group_name(data) -> str:
    name = _clean(data.get("name") if isinstance(data, dict) else None, "name")
    if not name:
        raise ValidationError("must not be blank", fields={"name": ["Required."]})
    return name


def _pending(group: Group) -> bool:
    return UserTask.objects.filter(group=group, status=TaskStatus.UNASSIGNED).exists()


PENDING = "Cannot rename/delete Group with Task(s) assigned that are pending to be claimed!"
TAKEN = "Group already exists with the requested name!"


@transaction.atomic
def group_create(*, actor: User, data: dict) -> Group:
    name = _group_name(data)
    if Group.objects.filter(name__iexact=name).exists():
        raise BridgeError(409, TAKEN)
    try:
        with transaction.atomic():
            group = Group.objects.create(name=name)
    except IntegrityError:
        raise BridgeError(409, TAKEN) from None
    record(actor, group, ADDITION, "created")
    return group


@transaction.atomic
def group_rename(*, actor: User, group: Group, data: dict, ignore_orphan_tasks: bool) -> None:
    name = _group_name(data)
    if not ignore_orphan_tasks and _pending(group):
        raise BridgeError(409, PENDING)
    if Group.objects.filter(name__iexact=name).exclude(pk=group.pk).exists():
        raise BridgeError(409, TAKEN)
    old = group.name
    group.name = name
    group.save(update_fields=["name"])
    record(actor, group, CHANGE, f"renamed from {old}")


@transaction.atomic
def group_delete(*, actor: User, group: Group, ignore_orphan_tasks: bool) -> None:
    """Deletes the group; its tasks keep pointing at it, so a group with any task (even with
    ``ignore_orphan_tasks``) is refused with 409: move the tasks first."""
    if not ignore_orphan_tasks and _pending(group):
        raise BridgeError(409, PENDING)
    repr_, pk = str(group), group.pk
    try:
        with transaction.atomic():
            group.delete()
    except ProtectedError:
        raise BridgeError(
            409, "Cannot delete a Group that still has tasks: assign them elsewhere first."
        ) from None
    record(actor, Group(pk=pk, name=repr_), DELETION, "deleted")
