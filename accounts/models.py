"""Users, and the API tokens REST clients authenticate with.

Task groups are plain ``django.contrib.auth`` groups. An inbox admin is a user holding the
permission ``inbox.administer_tasks`` (superusers implicitly).
"""

import functools
import hashlib
import threading

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.signals import request_finished, request_started
from django.db import connection, models
from django.utils import timezone

from config.compiled import CompiledRead, prepared_cursor

ADMIN_PERMISSION = "inbox.administer_tasks"
TOKEN_PREFIX = "inbox_"


class InboxUserManager(UserManager):
    """Django's ``UserManager``, whose ``get(pk=...)`` (what every signed-in page makes, through
    the session's authentication backend) runs one SELECT compiled once per process and
    prepared once per connection (``config.compiled.CompiledRead``) instead of building a
    queryset: the same instance, or ``User.DoesNotExist``. Any other call is Django's.

    The user's permission facts (``load_permission_facts``: the admin flag and the group ids,
    which every page reads: the navigation, the lists' visibility) come in the same round trip
    (``CompiledRead.first_along``), so a page does not wait for them on their own. They are
    the facts of that moment, as a page's first read of them always was.

    When this request's session read already fetched the row, with its facts, in its own round
    trip (``accounts.sessions``: ``offer_session_user``), that instance is the answer, once."""

    def get(self, *args, **kwargs):
        pk = kwargs.get("pk")
        if args or self._db is not None or len(kwargs) != 1 or pk is None:
            return super().get(*args, **kwargs)
        user = _take_session_user(pk)
        if user is not None:
            return user
        if type(pk) is int:
            user, rows = _USER_BY_PK.first_along(pk, permission_facts_sql(), _facts_params(pk))
            if user is not None:
                user.take_permission_facts(rows)
        else:  # e.g. a session's user id as text: cast as the ORM would first
            user = _USER_BY_PK.first(pk)
        if user is None:
            raise self.model.DoesNotExist(
                f"{self.model._meta.object_name} matching query does not exist."
            )
        return user


class User(AbstractUser):
    email = models.EmailField("email address", blank=True, db_index=True)
    objects = InboxUserManager()

    time_zone = models.CharField(
        max_length=64,
        blank=True,
        help_text="IANA time zone (e.g. Europe/Berlin) times are shown in; blank: the browser's.",
    )

    @property
    def is_inbox_admin(self) -> bool:
        """Active, and a superuser or holding ``inbox.administer_tasks`` (directly or through a
        group). Read with the group ids in one query, once per request-scoped instance."""
        if not self.is_active:
            return False
        if getattr(self, "_is_inbox_admin", None) is None:
            self.load_permission_facts()
        return self._is_inbox_admin

    @property
    def sign_in_methods(self) -> str:
        """ "password", "SSO: <provider id>" or both (SSO accounts: prefetch
        ``socialaccount_set``, see accounts.selectors.with_sign_in_facts)."""
        methods = sorted({f"SSO: {a.provider}" for a in self.socialaccount_set.all()})
        if self.has_usable_password():
            methods.append("password")
        return ", ".join(methods) or "none"

    def group_ids(self) -> list[int]:
        """The ids of this user's groups, read with the admin flag in one query, once per
        request-scoped instance."""
        if getattr(self, "_group_ids", None) is None:
            self.load_permission_facts()
        return self._group_ids

    def load_permission_facts(self) -> None:
        """One query for both permission facts of the request: the admin flag and the group ids
        (``permission_facts_sql``: a row ``(0, granted)`` saying whether the permission is held,
        directly or through a group, and a row ``(1, group id)`` per group). Facts already
        cached on this instance are kept; a fresh instance (every request has one) reads them
        again, so a change of groups or permissions shows on the next request."""
        if self.pk is None:
            self._is_inbox_admin, self._group_ids = False, []
            return
        with prepared_cursor(connection) as cursor:  # planned once per connection
            cursor.execute(*self.permission_facts_query())
            rows = cursor.fetchall()
        self.take_permission_facts(rows)

    def group_choices(self) -> list[tuple[int, str]]:
        """(id, name) of this user's groups by name (the list pages' group filter), as
        ``self.groups.order_by("name").values_list("pk", "name")`` would read them: one SQL
        written once (``group_choices_sql``), prepared once per connection. Not cached."""
        if self.pk is None:
            return []
        with prepared_cursor(connection) as cursor:
            cursor.execute(*self.group_choices_query())
            return [tuple(row) for row in cursor.fetchall()]

    def group_choices_query(self) -> tuple[str, list]:
        """The SQL and parameters ``group_choices`` runs, for a caller that sends it in the same
        round trip as its own query (a whole list page: with its ids). Only for a saved user."""
        return group_choices_sql(), [self.pk]

    @property
    def has_permission_facts(self) -> bool:
        """Whether both facts are cached on this instance (no query needed for them)."""
        return (
            getattr(self, "_is_inbox_admin", None) is not None
            and getattr(self, "_group_ids", None) is not None
        )

    def permission_facts_query(self) -> tuple[str, list]:
        """The SQL and parameters ``load_permission_facts`` runs, for a caller that sends it in
        the same round trip as its own query (then hands the rows to ``take_permission_facts``).
        Only for a saved user."""
        return permission_facts_sql(), _facts_params(self.pk)

    def take_permission_facts(self, rows) -> None:
        """Cache the facts from the rows of ``permission_facts_query`` (keeping any already
        cached)."""
        if getattr(self, "_is_inbox_admin", None) is None:
            self._is_inbox_admin = self.is_superuser or any(k == 0 and v for k, v in rows)
        if getattr(self, "_group_ids", None) is None:
            self._group_ids = [group_id for kind, group_id in rows if kind == 1]


_USER_BY_PK = CompiledRead(
    lambda pk: User.objects.filter(pk=pk), keys=(1, 2), key_field=User._meta.pk
)

# The user row the session read fetched alongside the session (``accounts.sessions``), waiting
# for the authentication backend's ``get(pk=...)`` of the same request: per thread, taken once,
# and dropped when a request starts or finishes, so no later read can get it.
_session_user = threading.local()


def user_by_pk_along(pk, sql: str, params) -> tuple["User | None", list]:
    """``User.objects.get(pk=pk)``'s row (None when there is none), with its permission facts
    taken (``take_permission_facts``), and another query's rows: one round trip
    (``CompiledRead.first_along``, three statements pipelined)."""
    pk = User._meta.pk.to_python(pk)
    user, (rows, facts) = _USER_BY_PK.first_along_many(
        pk, [(sql, params), (permission_facts_sql(), _facts_params(pk))]
    )
    if user is not None:
        user.take_permission_facts(facts)
    return user, rows


def offer_session_user(user: "User") -> None:
    """Hand the user row read with this request's session to the next ``get(pk=<its pk>)``."""
    _session_user.user = user


def forget_session_user(**_) -> None:
    _session_user.user = None


def _take_session_user(pk) -> "User | None":
    user = getattr(_session_user, "user", None)
    if user is None:
        return None
    _session_user.user = None
    return user if str(user.pk) == str(pk) else None


request_started.connect(forget_session_user, dispatch_uid="accounts.forget_session_user")
request_finished.connect(forget_session_user, dispatch_uid="accounts.forget_session_user_end")


def _facts_params(pk: int) -> list:
    """The parameters of ``permission_facts_sql`` for the user ``pk``."""
    app_label, codename = ADMIN_PERMISSION.split(".")
    return [codename, app_label, pk, pk, pk]


@functools.cache
def permission_facts_sql() -> str:
    """Raw SQL, written once: the ORM spends more time building this query than the database
    spends running it. Portable (PostgreSQL, SQLite). Parameters: codename, app label, the user
    id three times."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    def table(model) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    permission, content_type = table(Permission), table(ContentType)
    user_permissions = table(User.user_permissions.through)
    group_permissions = table(Group.permissions.through)
    user_groups = table(User.groups.through)
    return (
        f"SELECT 0, CASE WHEN EXISTS (SELECT 1 FROM {permission} p "
        f"JOIN {content_type} ct ON ct.id = p.content_type_id "
        "WHERE p.codename = %s AND ct.app_label = %s AND ("
        f"p.id IN (SELECT permission_id FROM {user_permissions} WHERE user_id = %s) "
        f"OR p.id IN (SELECT gp.permission_id FROM {group_permissions} gp "
        f"JOIN {user_groups} ug ON ug.group_id = gp.group_id WHERE ug.user_id = %s)"
        ")) THEN 1 ELSE 0 END "
        f"UNION ALL SELECT 1, group_id FROM {user_groups} WHERE user_id = %s"
    )


@functools.cache
def group_choices_sql() -> str:
    """Raw SQL, written once: a user's groups (id, name) ordered by name. Parameter: the user
    id."""
    from django.contrib.auth.models import Group

    quote = connection.ops.quote_name
    group, user_groups = quote(Group._meta.db_table), quote(User.groups.through._meta.db_table)
    return (
        f"SELECT g.id, g.name FROM {group} g JOIN {user_groups} ug ON ug.group_id = g.id "
        "WHERE ug.user_id = %s ORDER BY g.name ASC"
    )


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for REST clients; only its SHA-256 digest is stored.

    ``scope``: ``full`` acts as its user; ``read`` only reads; ``create`` reads and creates
    tasks in ``groups`` (no admin rights needed). A token past ``expires_at`` is refused.
    """

    class Scope(models.TextChoices):
        FULL = "full", "Full (everything its user may do)"
        READ = "read", "Read-only"
        CREATE = "create", "Create tasks in given groups"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16, help_text="First characters, to recognise a token.")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.FULL)
    groups = models.ManyToManyField(
        "auth.Group", blank=True, related_name="+", help_text="Where a create token may create."
    )
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )


class IdpGroupMapping(models.Model):
    """An identity provider's group value -> an inbox group, applied at every SSO sign-in
    (accounts.sso.groups). Only mapped groups are managed by the IdP."""

    provider = models.CharField(
        max_length=100,
        blank=True,
        help_text="The provider's id (OIDC_PROVIDERS / SAML_PROVIDERS); blank: every provider.",
    )
    idp_group = models.CharField(
        "IdP group",
        max_length=255,
        help_text="A value of the groups claim or SAML attribute (Entra ID: the group's object id).",
    )
    group = models.ForeignKey("auth.Group", on_delete=models.CASCADE, related_name="+")
    may_grant_admin = models.BooleanField(
        default=False,
        help_text="Needed when the group carries the inbox admin permission; otherwise such a "
        "group is never granted by the IdP.",
    )

    class Meta:
        ordering = ["provider", "idp_group"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "idp_group", "group"], name="idp_group_mapping_unique"
            )
        ]
        verbose_name = "IdP group mapping"

    def __str__(self):
        return f"{self.provider or '*'}:{self.idp_group} -> {self.group}"


class Absence(models.Model):
    """A period a user is away (out of office), and who stands in for them.

    While ``starts_at <= now < ends_at``: tasks the engine or an admin assigns to ``user`` go to
    ``substitute`` instead, and ``user``'s notices of new claimable tasks go to the substitute.
    With ``return_tasks`` the tasks ``user`` holds are given back to their groups once, when the
    absence starts (``returned_at`` records that it was done). Written only through
    ``accounts.absences`` (which refuses overlaps, a substitute who is the user or inactive, and
    an end that is not after the start).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    substitute = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="substitutions"
    )
    return_tasks = models.BooleanField(
        default=False, help_text="Give the tasks the user holds back to their groups at the start."
    )
    returned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["user", "ends_at"], name="absence_user_end_idx"),
            models.Index(
                fields=["starts_at"],
                name="absence_to_return_idx",
                condition=models.Q(return_tasks=True, returned_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="absence_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.user} away {self.starts_at:%Y-%m-%d} – {self.ends_at:%Y-%m-%d}"
