"""Writes on Sources, used by the API and the admin console alike: create, update (credentials
merge key by key and are never read back), delete, and "sync now".

Every field is validated here so both callers show the same per-field messages. Saving a Source
updates its beat schedule (``inbox.signals``), inside the same transaction.

Overlap: an enabled source may not watch what another enabled source of its engine already
watches (``inbox.source_overlap``): saving one is refused with a message naming the other,
unless ``override=True`` (a real migration from one source to another).

Disabling or deleting a source can retire its open tasks (``retire_open_tasks=True``): they
end as CANCELLED through ``lifecycle.tasks_retire_for_source`` with an event saying why;
nothing is written back to the engine.

Deleting: a source with no tasks, cases or outbox rows is deleted outright. One with history
is soft-deleted: disabled, renamed ``<name>--deleted-<id>`` (the name is free again),
``deleted_at`` set and hidden from the Sources lists, so its tasks, cases and their events
(append-only, PROTECTed foreign keys) stay readable. Its open tasks are always retired then.
"""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_slug
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from inbox import dispatch, lifecycle
from inbox.errors import Forbidden, NotFound, TaskStateError, ValidationError
from inbox.models import Source, UserTask
from inbox.parsing import is_ascii_int, parse_int
from inbox.secrets import restore_url
from inbox.source_overlap import find_overlap

FIELDS = ("name", "kind", "base_url", "credentials", "watch", "mapping", "poll_interval", "enabled")
OVERRIDE_HELP = "Save anyway although another enabled source watches the same (a migration)."
ENGINE_KINDS = tuple(k for k in Source.Kind.values if k != Source.Kind.LOCAL)

# The credential keys each engine's connector reads (the forms offer one input per key).
CREDENTIAL_KEYS = {
    Source.Kind.UIPATH: ("token",),
    Source.Kind.DOCUSIGN: ("token",),
    Source.Kind.CLOUDFLARE: ("token",),
    Source.Kind.STRATEGY: ("token", "secret"),
    Source.Kind.LITTLEHORSE: ("token",),
    Source.Kind.LOCAL: (),
}

_url = URLValidator(schemes=("http", "https"))


def _require_admin(actor: User) -> None:
    if not actor.is_inbox_admin:
        raise Forbidden("Only inbox admins may manage sources.")


def credential_keys(source: Source | None) -> list[str]:
    """The names of the credentials a source holds (never their values)."""
    creds = source.credentials if source is not None else None
    if not isinstance(creds, dict):
        return []
    return sorted(key for key, value in creds.items() if value not in (None, ""))


def merge_credentials(stored: dict | None, changes: dict) -> dict:
    """Apply ``changes`` to the stored credentials: a value sets its key, an empty string or
    null removes it, keys not named stay as they are."""
    merged = dict(stored or {}) if isinstance(stored, dict) else {}
    for key, value in changes.items():
        if value in (None, ""):
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _clean(values: dict[str, Any], *, instance: Source | None) -> dict[str, Any]:
    """Validate the given fields; raise one ValidationError with a message per bad field."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise ValidationError(
            "Unknown source fields", fields={k: ["Not a source field."] for k in unknown}
        )

    if "name" in values:
        name = str(values["name"] or "").strip()
        try:
            if not name:
                raise DjangoValidationError("This field is required.")
            validate_slug(name)
            if len(name) > 100:
                raise DjangoValidationError("At most 100 characters.")
        except DjangoValidationError as exc:
            errors["name"] = list(exc.messages)
        else:
            taken = Source.objects.filter(name=name)
            if instance is not None:
                taken = taken.exclude(pk=instance.pk)
            if taken.exists():
                errors["name"] = [f"A source named {name!r} already exists."]
            out["name"] = name

    if "kind" in values:
        kind = values["kind"]
        if not kind:
            errors["kind"] = ["Choose the engine this source polls."]
        elif kind not in ENGINE_KINDS:
            labels = dict(Source.Kind.choices)
            choices = ", ".join(f"{labels[k]} ({k})" for k in ENGINE_KINDS)
            errors["kind"] = [
                f"{kind!r} is not an engine the inbox knows; choose one of {choices}."
            ]
        else:
            out["kind"] = kind
    kind = out.get("kind") or (instance.kind if instance is not None else None)

    if "base_url" in values:
        url = str(values["base_url"] or "").strip()
        # The forms and the API show ``***@`` for stored userinfo; sending it back keeps it.
        url = restore_url(url, instance.base_url if instance is not None else None)
        try:
            if not url:
                raise DjangoValidationError("An engine source needs its base URL.")
            if len(url) > 200:
                raise DjangoValidationError("At most 200 characters.")
            _url(url)
        except DjangoValidationError as exc:
            errors["base_url"] = [
                "Enter a valid http(s) URL." if m == "Enter a valid URL." else m
                for m in exc.messages
            ]
        else:
            out["base_url"] = url

    for name in ("watch", "mapping"):
        if name in values:
            value = values[name]
            if value is None:
                value = {}
            if not isinstance(value, dict):
                errors[name] = ["Must be a JSON object."]
            else:
                out[name] = value

    if "credentials" in values:
        creds = values["credentials"]
        if creds is None:
            creds = {}
        if not isinstance(creds, dict):
            errors["credentials"] = ["Must be an object of names to secret values."]
        else:
            bad = [
                k
                for k, v in creds.items()
                if not k or not isinstance(v, str | None) or len(str(k)) > 100
            ]
            if bad:
                errors["credentials"] = [
                    "Each credential is a name (up to 100 characters) with a text value; "
                    f"check {', '.join(map(repr, bad))}."
                ]
            else:
                out["credentials"] = creds

    if "poll_interval" in values:
        try:
            out["poll_interval"] = parse_int(
                values["poll_interval"],
                field="poll_interval",
                minimum=1,
                maximum=86_400,
                message="Must be a whole number of seconds from 1 to 86400.",
            )
        except ValidationError as exc:
            errors.update(exc.fields)

    if "enabled" in values:
        if not isinstance(values["enabled"], bool):
            errors["enabled"] = ["Must be true or false."]
        else:
            out["enabled"] = values["enabled"]

    if errors:
        raise ValidationError("Some source settings are invalid.", fields=errors)
    if kind is None:
        raise ValidationError("Choose the engine.", fields={"kind": ["This field is required."]})
    return out


def source_validate(*, source: Source | None = None, **fields) -> None:
    """Check fields as ``source_create`` (no ``source``) or ``source_update`` would, saving
    nothing: lets a form report every bad field at once."""
    if source is None:
        _require_fields(fields)
    _clean(fields, instance=source)


def _require_fields(fields: dict) -> None:
    required = ("name", "kind", "base_url")
    missing = {k: ["This field is required."] for k in required if k not in fields}
    if missing:
        raise ValidationError("Some source settings are missing.", fields=missing)


def _check_overlap(source: Source, *, override: bool) -> None:
    """Refuse settings that would make ``source`` watch what another enabled one does.

    On PostgreSQL a transaction-scoped advisory lock per engine kind serialises the check and the
    save, so two admins saving overlapping sources at once cannot both pass."""
    if override or not source.enabled or source.is_local:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                [f"inbox.source-overlap.{source.kind}"],
            )
    overlap = find_overlap(
        kind=source.kind, base_url=source.base_url, watch=source.watch, exclude_id=source.pk
    )
    if overlap is not None:
        message = overlap.describe()
        raise ValidationError(
            f"{message} Two sources over the same work would import every task twice; change "
            "what this one watches, disable the other, or save with override for a migration.",
            fields={"watch": [message]},
        )


@transaction.atomic
def source_create(*, actor: User, override: bool = False, **fields) -> Source:
    """Admin: add an engine source. ``name``, ``kind`` and ``base_url`` are required; empty
    credentials are left out. Refused when it overlaps another enabled source (unless
    ``override``)."""
    _require_admin(actor)
    _require_fields(fields)
    values = _clean(fields, instance=None)
    values["credentials"] = merge_credentials({}, values.get("credentials", {}))
    source = Source(**values)
    _check_overlap(source, override=override)
    try:
        with transaction.atomic():
            source.save()
    except IntegrityError:
        raise ValidationError(
            "That name is taken.", fields={"name": ["A source with this name already exists."]}
        ) from None
    return source


@transaction.atomic
def source_update(
    *,
    actor: User,
    source_id,
    override: bool = False,
    retire_open_tasks: bool = False,
    **fields,
) -> Source:
    """Admin: change some settings of an engine source. Only the given fields change; in
    ``credentials`` only the given keys change, an empty string (or null) removing one.

    Refused when the result overlaps another enabled source (unless ``override``). When this
    disables the source and ``retire_open_tasks`` is true, its open tasks end as CANCELLED
    (nothing written back). Locks the source row for the transaction."""
    _require_admin(actor)
    source = _locked(source_id)
    if source.is_local:
        raise TaskStateError("The built-in local source has no settings to change.")
    if source.deleted_at is not None:
        raise NotFound("No such source")
    was_enabled = source.enabled
    values = _clean(fields, instance=source)
    if "credentials" in values:
        values["credentials"] = merge_credentials(source.credentials, values["credentials"])
    for name, value in values.items():
        setattr(source, name, value)
    if {"kind", "base_url", "watch", "enabled"} & set(values):
        _check_overlap(source, override=override)
    if retire_open_tasks and not source.enabled:
        why = "disabled" if was_enabled else "retired while disabled"
        lifecycle.tasks_retire_for_source(
            source=source,
            actor=actor,
            reason=f"Source {source.name} was {why} by {actor.username}; the task was retired "
            "here and nothing was sent to the engine.",
        )
    if values:
        try:
            with transaction.atomic():
                source.save(update_fields=list(values))
        except IntegrityError:
            raise ValidationError(
                "That name is taken.", fields={"name": ["A source with this name already exists."]}
            ) from None
    return source


@dataclass
class Deleted:
    name: str
    soft: bool  # kept (disabled, renamed) because it has history
    retired: int  # open tasks ended as CANCELLED


def source_history(source: Source) -> dict[str, int]:
    """How much history would keep a deleted source: its tasks, cases, outbox rows."""
    return {
        "tasks": UserTask.objects.filter(source=source).count(),
        "cases": source.cases.count(),
        "outbox": source.outbox.count(),
    }


@transaction.atomic
def source_delete(*, actor: User, source_id) -> Deleted:
    """Admin: delete an engine source. Its open tasks are retired (CANCELLED, nothing written
    back). Without history the row goes; with history it is soft-deleted (see the module doc).
    Locks the source row for the transaction."""
    _require_admin(actor)
    source = _locked(source_id)
    if source.is_local:
        raise TaskStateError("The built-in local source cannot be deleted.")
    if source.deleted_at is not None:
        raise NotFound("No such source")
    name = source.name
    retired = lifecycle.tasks_retire_for_source(
        source=source,
        actor=actor,
        reason=f"Source {name} was deleted by {actor.username}; the task was retired here and "
        "nothing was sent to the engine.",
    )
    if not any(source_history(source).values()):
        source.delete()
        return Deleted(name=name, soft=False, retired=0)
    suffix = f"--deleted-{source.pk}"
    source.name = name[: 100 - len(suffix)] + suffix
    source.enabled = False
    source.deleted_at = timezone.now()
    source.lease_until = None
    source.save(update_fields=["name", "enabled", "deleted_at", "lease_until"])
    return Deleted(name=name, soft=True, retired=retired)


def source_request_sync(*, actor: User, source_id) -> bool:
    """Admin: poll a source at once ("Sync now"). False when the queue is unreachable (the
    next scheduled poll still runs). The local source and disabled ones are refused."""
    _require_admin(actor)
    source = _get(source_id)
    if source.is_local:
        raise TaskStateError("The local source has nothing to poll.")
    if not source.enabled:
        raise TaskStateError(f"{source.name} is disabled; enable it first.")
    return dispatch.poll_source_now(source.pk)


def source_get(*, source_id) -> Source:
    return _get(source_id)


def _get(source_id) -> Source:
    live = Source.objects.filter(deleted_at__isnull=True)
    source = live.filter(pk=int(source_id)).first() if is_ascii_int(source_id) else None
    if source is None:
        raise NotFound("No such source")
    return source


def _locked(source_id) -> Source:
    source = (
        Source.objects.select_for_update().filter(pk=int(source_id)).first()
        if is_ascii_int(source_id)
        else None
    )
    if source is None:
        raise NotFound("No such source")
    return source
